"""The pieces of ember.utils.benchmark, in PyTorch's module layout (so a Measurement prints
and pickles as `...benchmark.utils.common.Measurement`)."""
