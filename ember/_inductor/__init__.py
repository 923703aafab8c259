"""ember._inductor: torch._inductor's config, the settings notebooks tune before
torch.compile (recorded only: ember.compile runs models eagerly)."""
from ember._inductor import config

__all__ = ["config"]
