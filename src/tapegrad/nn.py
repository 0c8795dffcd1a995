"""``tapegrad.nn``: TensorFlow's ``tf.nn`` names.

>>> import tapegrad as tf
>>> tf.nn.relu([-1.0, 1.0]).numpy().tolist()
[0.0, 1.0]
"""

from .ops.conv import (
                     avg_pool,
                     avg_pool1d,
                     avg_pool2d,
                     conv1d,
                     conv2d,
                     conv2d_transpose,
                     convolution,
                     depthwise_conv2d,
                     max_pool,
                     max_pool1d,
                     max_pool2d,
                     separable_conv2d,
)
from .ops.math import sigmoid, softplus, tanh
from .ops.nn import (
                     bias_add,
                     dropout,
                     elu,
                     l2_loss,
                     l2_normalize,
                     leaky_relu,
                     log_softmax,
                     moments,
                     relu,
                     relu6,
                     selu,
                     sigmoid_cross_entropy_with_logits,
                     silu,
                     softmax,
                     softmax_cross_entropy_with_logits,
                     softsign,
                     sparse_softmax_cross_entropy_with_logits,
                     swish,
)
from .ops.nn_more import (
                     batch_normalization,
                     compute_average_loss,
                     crelu,
                     embedding_lookup,
                     gelu,
                     log_poisson_loss,
                     scale_regularization_loss,
                     weighted_cross_entropy_with_logits,
)
from .ops.segment import in_top_k, top_k
from .ops.special import zero_fraction

__all__ = ["bias_add", "dropout", "elu", "l2_loss", "l2_normalize", "leaky_relu", "log_softmax",
           "moments", "relu", "relu6", "selu", "sigmoid", "sigmoid_cross_entropy_with_logits",
           "silu", "softmax", "softmax_cross_entropy_with_logits", "softplus", "softsign",
           "sparse_softmax_cross_entropy_with_logits", "swish", "tanh",
           "in_top_k", "top_k", "zero_fraction",
           "avg_pool", "avg_pool1d", "avg_pool2d", "batch_normalization", "compute_average_loss",
           "conv1d", "conv2d", "conv2d_transpose", "convolution", "crelu", "embedding_lookup",
           "gelu", "log_poisson_loss", "max_pool", "max_pool1d", "max_pool2d",
           "scale_regularization_loss", "weighted_cross_entropy_with_logits",
           "depthwise_conv2d", "separable_conv2d"]
