"""Fitting on Dask: the same answers as in memory, faults survived, one line for bad shards.

One LocalCluster of two worker processes (one thread each) serves the module.
"""

import os
import signal

import numpy as np
import pytest

dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")
dd = pytest.importorskip("dask.dataframe")
da = pytest.importorskip("dask.array")

import tapegrad as tf  # noqa: E402
from tapegrad.cli import main  # noqa: E402
from tapegrad.models import LinearRegression, LogisticRegression, PolynomialRegression  # noqa: E402
from tapegrad.models.table import load_csv  # noqa: E402

MEMORY_LIMIT = 400 * 2**20  # a worker process with pandas and tapegrad loaded holds ~240 MiB


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       memory_limit=MEMORY_LIMIT, dashboard_address=":0")
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def problem(rows=3000, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 3)) * [1.0, 20.0, 0.05] + [2.0, -40.0, 1.0]  # not standardised
    y = X @ [0.5, -0.1, 30.0] + 4.0 + rng.normal(size=rows)
    labels = (X @ [1.0, 0.05, 10.0] - 8.0 + rng.logistic(size=rows) > 0).astype(int)
    return X, y, labels


def write_shards(folder, X, y, parts=4, name="y"):
    files = []
    for i, (xs, ys) in enumerate(zip(np.array_split(X, parts), np.array_split(y, parts))):
        file = folder / f"part{i}.csv"
        np.savetxt(file, np.c_[xs, ys], delimiter=",", header=f"a,b,c,{name}", comments="",
                   fmt="%.17g")
        files.append(str(file))
    return files


def test_dask_arrays_and_frames_fit_as_in_memory(client):
    X, y, labels = problem()
    Xd, yd = da.from_array(X, chunks=(700, 3)), da.from_array(y, chunks=700)
    for model, target in ((LinearRegression(), y), (LinearRegression(penalty="l2", alpha=0.1), y),
                          (PolynomialRegression(2), y), (LogisticRegression(), labels)):
        ours = type(model)(**model.get_params()).fit(X, target)
        on_dask = model.fit(Xd, da.from_array(target, chunks=700))
        np.testing.assert_allclose(on_dask.coef_, ours.coef_, rtol=1e-6)
        np.testing.assert_allclose(on_dask.intercept_, ours.intercept_, rtol=1e-6)
        assert on_dask.converged_ and abs(on_dask.n_steps_ - ours.n_steps_) <= 1  # other start
    frame = dd.from_array(np.c_[X, labels], columns=["a", "b", "c", "t"], chunksize=1000)
    model = LogisticRegression(solver="lbfgs").fit(frame[["a", "b", "c"]], frame["t"])
    np.testing.assert_allclose(model.coef_, LogisticRegression().fit(X, labels).coef_, rtol=1e-4)
    assert model.feature_names_in_.tolist() == ["a", "b", "c"] and model.classes_.tolist() == [0, 1]
    with pytest.raises(ValueError, match="standardize=True is not available for Dask data"):
        LinearRegression(standardize=True).fit(Xd, yd)
    with pytest.raises(ValueError, match="solver='newton' or 'lbfgs'"):
        LinearRegression(batch_size=10).fit(Xd, yd)


def test_minimize_sums_a_chunk_loss_over_the_cluster(client):
    X, y, _ = problem(rows=2000)
    w = tf.Variable(np.zeros(3), name="w")
    b = tf.Variable(0.0, dtype=tf.float64, name="b")

    def chunk_loss(x, t):  # the squared error of one chunk; minimize sums the chunks
        return tf.reduce_sum((tf.linalg.matvec(tf.constant(x), w) + b - t) ** 2)

    data = (da.from_array(X, chunks=(500, 3)), da.from_array(y, chunks=500))
    result = tf.minimize(chunk_loss, [w, b], data=data, method="newton")
    exact = np.linalg.lstsq(np.c_[X, np.ones(len(X))], y, rcond=None)[0]
    np.testing.assert_allclose(np.r_[w.numpy(), b.numpy()], exact, rtol=1e-8)
    assert result.converged and result.history["w"].shape == (result.steps + 1, 3)
    assert result.value == pytest.approx(np.sum((np.c_[X, np.ones(len(X))] @ exact - y) ** 2))
    w.assign(np.zeros(3))
    b.assign(0.0)
    assert tf.minimize(chunk_loss, [w, b], data=data).method == "lbfgs"
    np.testing.assert_allclose(np.r_[w.numpy(), b.numpy()], exact, rtol=1e-4)


def test_a_worker_killed_mid_fit_does_not_stop_it(client, tmp_path):
    X, y, _ = problem()
    files = write_shards(tmp_path, X, y)
    frame = client.persist(dd.read_csv(files, dtype="float64"))  # the chunks live on workers
    distributed.wait(frame)
    pids = list(client.run(os.getpid).values())
    killed = []

    def kill_one(step, loss):
        if step == 1 and not killed:  # between Newton steps: that worker's chunks are lost
            os.kill(pids[0], signal.SIGKILL)
            killed.append(pids[0])

    model = LinearRegression().fit(frame[["a", "b", "c"]], frame["y"], callback=kill_one)
    assert killed and model.converged_
    np.testing.assert_allclose(model.coef_, LinearRegression().fit(X, y).coef_, rtol=1e-6)
    client.wait_for_workers(2, timeout=60)  # the nanny restarts it, for the tests after this one


def test_data_four_times_a_workers_memory_fits_without_a_worker_dying(tmp_path):
    limit = 256 * 2**20  # workers of their own, without pandas: ~150 MiB each when fitting
    rng = np.random.default_rng(5)
    coef, parts, rows = rng.normal(size=20), [], 62_500
    while len(parts) * rows * 21 * 8 < 4 * limit:  # .npy files of 10 MB: 20 features, y
        X = rng.normal(size=(rows, 20))
        file = tmp_path / f"part{len(parts):02d}.npy"
        np.save(file, np.c_[X, X @ coef + 1.0 + 0.1 * rng.normal(size=rows)])
        parts.append(da.from_delayed(dask.delayed(np.load)(str(file)), shape=(rows, 21),
                                     dtype=np.float64))
    data = da.concatenate(parts)  # read from disk chunk by chunk, by the workers
    # No pausing: a paused worker on a loaded machine waits for memory that never frees, and the
    # test would hang instead of failing; a worker over its limit is still killed (and fails it).
    with dask.config.set({"distributed.worker.memory.pause": False}), \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                     memory_limit=limit, dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        before = set(client.scheduler_info()["workers"])
        model = LinearRegression().fit(data[:, :20], data[:, 20])
        assert set(client.scheduler_info()["workers"]) == before  # none killed for memory
    assert model.converged_ and model._rows == rows * len(parts)
    np.testing.assert_allclose(model.coef_, coef, atol=2e-3)


# ----- the command -----

def fit_cli(capsys, *argv):
    try:
        status = main(["fit", *argv])
    except SystemExit as e:
        status = e.code
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_on_an_existing_cluster_equals_the_in_memory_fit(client, tmp_path, capsys):
    X, y, labels = problem()
    write_shards(tmp_path, X, y)
    address = client.scheduler.address
    status, out, _ = fit_cli(capsys, str(tmp_path / "part*.csv"), "--target", "y",
                             "--scheduler", address, "--json")
    import json
    report = json.loads(out)
    assert status == 0 and report["rows"] == 3000 and report["dask"] == address
    ours = LinearRegression().fit(X, y)
    np.testing.assert_allclose(list(report["coefficients"].values()), ours.coef_, rtol=1e-6)
    assert report["intercept"] == pytest.approx(float(ours.intercept_), rel=1e-6)
    assert report["converged"] and report["solver"] == "newton"
    logistic = tmp_path / "logistic"
    logistic.mkdir()
    write_shards(logistic, X, labels)
    status, out, _ = fit_cli(capsys, str(logistic / "*.csv"), "--target", "y", "--scheduler",
                             address, "--model", "logistic")
    assert status == 0 and "on Dask at tcp://" in out and "(converged" in out


def test_cli_starts_a_local_cluster_and_prints_its_dashboard(tmp_path, capsys):
    X, y, _ = problem(rows=400)
    write_shards(tmp_path, X, y, parts=2)
    status, out, err = fit_cli(capsys, str(tmp_path / "*.csv"), "--target", "y", "--dask",
                               "--memory-limit", "1GB")
    assert status == 0 and "Dask dashboard at http" in err
    assert "linear regression of y on a, b, c" in out


def test_cli_faults_are_one_line_naming_the_address_file_and_line(client, tmp_path, capsys):
    X, y, _ = problem(rows=400)
    files = write_shards(tmp_path, X, y)
    address = client.scheduler.address
    status, out, err = fit_cli(capsys, files[0], "--target", "y", "--scheduler",
                               "tcp://127.0.0.1:1")
    assert status == 2 and out == "" and err.count("\n") == 1
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:1" in err

    lines = open(files[2]).read().splitlines()
    lines[57] = lines[57].replace(",", ",oops", 1)  # line 58 of that shard: a bad value
    open(files[2], "w").write("\n".join(lines) + "\n")
    status, out, err = fit_cli(capsys, str(tmp_path / "*.csv"), "--target", "y", "--scheduler",
                               address)
    assert status == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert f"{files[2]}: row 57 (line 58), column 'b':" in err and "is not a number" in err

    open(files[2], "w").write("a,b,y\n1,2,3\n")  # a shard without column c
    status, out, err = fit_cli(capsys, str(tmp_path / "*.csv"), "--target", "y", "--scheduler",
                               address)
    assert status == 2 and err.count("\n") == 1
    assert f"{files[2]}: no column 'c'; the columns are a, b, y" in err
    status, _, err = fit_cli(capsys, str(tmp_path / "none*.csv"), "--target", "y", "--dask")
    assert status == 2 and "none*.csv: no file matches" in err
    assert load_csv(files[0], target="y").X.shape == (100, 3)
