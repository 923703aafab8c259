"""Op families. Each module defines Op classes (forward + backward on arrays), the public
functions that call them, and binds the Tensor methods and operators it owns."""
