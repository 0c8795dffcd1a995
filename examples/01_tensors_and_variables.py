"""Tensors and variables: constants from Python lists, .numpy(), assignment, matmul.

Run from the repository root: python examples/01_tensors_and_variables.py
"""

import tapegrad as tf

# A constant takes its dtype from the values (int32 for ints, float32 for floats) ...
ints = tf.constant([[10, 20, 30]])
floats = tf.constant([[1.5, 2.0, 2.5]])
# ... or from the dtype you give it.
doubles = tf.constant([1, 2, 3], dtype=tf.float64)
print(ints)
print(floats)
print(doubles)

# .numpy() hands the values back as a NumPy array.
print(ints.numpy())
print(type(ints.numpy()).__name__, ints.numpy().dtype)

# A Variable holds a value that training (or you) can change.
v = tf.Variable(0.0)
v.assign(5.0)
print(v)
v.assign(10.0)
print(v.numpy())

# Matrix product of a (2, 3) float64 constant with a (3, 1) float64 Variable.
matrix = tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=tf.float64)
column = tf.Variable([[1.0], [0.5], [2.0]], dtype=tf.float64)
product = tf.matmul(matrix, column)
print(product)
print("shape:", product.shape, "dtype:", product.dtype.name)
