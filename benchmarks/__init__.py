"""tapegrad's benchmarks against NumPy by hand, TensorFlow, PyTorch, JAX and autograd.

Run ``python -m benchmarks`` from the repository root; ``--help`` lists the options.
"""
