"""Ready-made Fuzzers for elementwise benchmarks: `unary.UnaryOpFuzzer` (one tensor `x`)
and `binary.BinaryOpFuzzer` (`x` and a `y` that sometimes broadcasts against it)."""
