"""The workbench at real size: ``tapegrad fit`` against pandas + scikit-learn, and on Dask.

    python -m benchmarks.workbench [--rows 2000000] [--dir /tmp/wb] [--skip-dask]

Generates a linear and a logistic problem (ROWS x 20, features on different scales and offsets,
so unstandardised) as CSV files in DIR, then runs each contender end to end in its own child
process, one after the other: ``tapegrad fit FILE --target y [--model logistic] --json`` and
``pandas.read_csv`` + scikit-learn (``LinearRegression``; ``LogisticRegression(solver="lbfgs")``).
Prints wall time, peak memory (``ru_maxrss`` of each child, from ``RUSAGE_CHILDREN``) and the
largest coefficient difference. The Dask part writes 8 CSV shards of ROWS/4 x 20 and fits them
on a two-worker ``LocalCluster`` with tapegrad and with dask-ml's
``LinearRegression(solver="lbfgs")``, reporting fit times and the client's peak memory.
"""
