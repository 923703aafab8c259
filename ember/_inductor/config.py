"""ember._inductor.config: TorchInductor's settings with PyTorch's defaults, recorded and
read back (ember compiles nothing); unknown names raise AttributeError as in PyTorch, and
`patch` sets some for a `with` block or a decorated call. `triton` and `cpp` hold the
settings of those code generators."""
import types as _types

from ember._dynamo import config as _dynamo_config

coordinate_descent_tuning = False
coordinate_descent_check_all_directions = False
max_autotune = False
max_autotune_gemm = False
max_autotune_pointwise = False
epilogue_fusion = True
freezing = False
fx_graph_cache = True
fx_graph_remote_cache = None
autotune_local_cache = True
autotune_remote_cache = None
bundle_triton_into_fx_graph_cache = True
cpp_wrapper = False
force_fuse_int_mm_with_mul = False
use_mixed_mm = True
debug = False
verbose_progress = False
benchmark_kernel = False
shape_padding = True
comprehensive_padding = True
aggressive_fusion = False
fallback_random = False
emulate_precision_casts = False
size_asserts = True
joint_graph_constant_folding = True
permute_fusion = False
group_fusion = False
split_reductions = True
layout_optimization = True
keep_output_stride = True
online_softmax = True
max_fusion_size = 64
conv_1x1_as_mm = False
allow_buffer_reuse = True
graph_partition = True


class _Section(_types.SimpleNamespace):
    """A group of settings (config.triton, config.cpp): unknown names are refused."""

    def __init__(self, path, **defaults):
        super().__init__(**defaults)
        object.__setattr__(self, "_path", path)

    def __setattr__(self, name, value):
        if name not in self.__dict__:
            raise AttributeError(f"{self._path}.{name} does not exist")
        super().__setattr__(name, value)


_triton = _Section("torch._inductor.config.triton", cudagraphs=False, cudagraph_trees=True,
                   unique_kernel_names=True, cudagraph_skip_dynamic_graphs=False,
                   autotune_pointwise=True, autotune_cublasLt=True, store_cubin=False,
                   divisible_by_16=True, max_tiles=None, multi_kernel=0)
_cpp = _Section("torch._inductor.config.cpp", threads=-1, simdlen=None,
                enable_kernel_profile=False, weight_prepack=True, dynamic_threads=False,
                max_horizontal_fusion_size=16, fallback_scatter_reduce_sum=True)

_dynamo_config.install(globals())
triton, cpp = _triton, _cpp  # set after install: not settings themselves
