"""The trusted numpy reference: update rules, batching and problems.

Every grade the project gives is a comparison with these functions.
"""
from reference.batching import (accumulated_gradient, batch_size_for, minibatch_indices,
                                train_epoch)
from reference.optimizers import (RULES, Rule, adagrad_update, adam_update, adamw_update,
                                  momentum_update, nesterov_update, rmsprop_update,
                                  sgd_update)

__all__ = ["sgd_update", "momentum_update", "nesterov_update", "adagrad_update",
           "rmsprop_update", "adam_update", "adamw_update", "Rule", "RULES",
           "batch_size_for", "minibatch_indices", "accumulated_gradient", "train_epoch"]
