"""ember._dynamo.config: the TorchDynamo settings notebooks set (torch._dynamo.config).

ember compiles nothing (`ember.compile` returns the model unchanged), so the settings are
recorded and read back; as in PyTorch, setting a name that is not a setting raises
AttributeError, and `patch` sets some for the length of a `with` block or a decorated call.
"""
import contextlib
import sys
import types

suppress_errors = False
verbose = False
recompile_limit = 8  # cache_size_limit is its older name: the two are one setting
accumulated_recompile_limit = 256
capture_scalar_outputs = False
capture_dynamic_output_shape_ops = False
automatic_dynamic_shapes = True
assume_static_by_default = True
dynamic_shapes = True
specialize_int = False
specialize_float = False
optimize_ddp = True
error_on_recompile = False
force_parameter_static_shapes = True
force_nn_module_property_static_shapes = True
guard_nn_modules = True
allow_unspec_int_on_nn_module = False
skip_nnmodule_hook_guards = True
raise_on_ctx_manager_usage = True
allow_rnn = False
compiled_autograd = False
capture_autograd_function = True
replay_record_enabled = False
log_compilation_metrics = True
prefer_deferred_runtime_asserts_over_guards = False
enable_compiler_collectives = False
do_not_emit_runtime_asserts = False
error_on_nested_fx_trace = True
use_graph_deduplication = False
inline_inbuilt_nn_modules = True
disable = False

_ALIASES = {"cache_size_limit": "recompile_limit",
            "accumulated_cache_size_limit": "accumulated_recompile_limit"}


class _ConfigModule(types.ModuleType):
    """A config module (this one, ember._inductor.config): its settings are the public
    names of simple values it defines (listed in its `_SETTINGS`); others are refused."""

    def _missing(self, name):
        return AttributeError(f"torch.{self.__name__.split('.', 1)[1]}.{name} does not exist")

    def _name(self, name):
        name = self.__dict__.get("_ALIASES", {}).get(name, name)
        if name.startswith("_") or name not in self.__dict__["_SETTINGS"]:
            raise self._missing(name)
        return name

    def __getattr__(self, name):  # only reached for names the module lacks
        aliases = self.__dict__.get("_ALIASES", {})
        if name in aliases:
            return self.__dict__[aliases[name]]
        raise self._missing(name)

    def __setattr__(self, name, value):
        self.__dict__[self._name(name)] = value

    def patch(self, arg1=None, arg2=None, **changes):
        """Set settings inside a `with` block or a decorated function: patch(name, value),
        patch({name: value}) or patch(name=value, ...)."""
        if isinstance(arg1, str):
            changes[arg1] = arg2
        elif arg1 is not None:
            changes.update(arg1)
        names = {self._name(k): v for k, v in changes.items()}
        return _Patch(self, names)

    def get_config_copy(self):
        return {k: self.__dict__[k] for k in self.__dict__["_SETTINGS"]}

    def load_config(self, config):
        for k, v in dict(config).items():
            setattr(self, k, v)


class _Patch(contextlib.ContextDecorator):
    def __init__(self, module, changes):
        self.module, self.changes, self.saved = module, changes, []

    def __enter__(self):
        self.saved.append({k: self.module.__dict__[k] for k in self.changes})
        self.module.__dict__.update(self.changes)

    def __exit__(self, *exc):
        self.module.__dict__.update(self.saved.pop())
        return False


def install(module_globals):
    """Make the module whose globals are given a config module (see _ConfigModule)."""
    module_globals["_SETTINGS"] = frozenset(
        k for k, v in module_globals.items()
        if not k.startswith("_") and (v is None or isinstance(v, (bool, int, float, str))))
    sys.modules[module_globals["__name__"]].__class__ = _ConfigModule


install(globals())
del contextlib, types
