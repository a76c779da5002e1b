"""What the Modulus host calls inside its embedded interpreter. Not for module authors."""

import importlib
import json
import re
import sys
import types

from .module import Module, endpoints_of
from . import tensor as _tensor

_PACKAGE_PREFIX = "_modulus_modules"


# Where Debian packages the modules a manifest's "imports" most often name.
_DEBIAN_PACKAGES = {
    "numpy": "python3-numpy", "scipy": "python3-scipy", "torch": "python3-torch", "pandas": "python3-pandas",
    "sklearn": "python3-sklearn", "PIL": "python3-pil", "yaml": "python3-yaml", "requests": "python3-requests",
    "grpc": "python3-grpcio", "google.protobuf": "python3-protobuf", "matplotlib": "python3-matplotlib",
    "nltk": "python3-nltk", "regex": "python3-regex", "lxml": "python3-lxml", "bs4": "python3-bs4",
    "fastapi": "python3-fastapi", "uvicorn": "python3-uvicorn", "h5py": "python3-h5py", "onnx": "python3-onnx",
}


def missing_imports(names):
    """The first of the manifest's "imports" the interpreter cannot find, with what to install; None when all are there."""
    import importlib.util
    for name in names:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            top = name.split(".")[0]
            debian = _DEBIAN_PACKAGES.get(name) or _DEBIAN_PACKAGES.get(top)
            where = f"install Debian's {debian} (apt-get install {debian})" if debian else \
                f"install the package that provides it for {sys.executable or 'this interpreter'}"
            return f"the module imports \"{name}\", which this interpreter ({sys.version.split()[0]}) does not have; {where}"
    return None


def load(package_suffix, folder, entry_file, class_name, name, version):
    """Imports a module folder as its own package and creates its module instance.

    Returns (instance, schema_json). Each load gets a fresh package name, so a reload never sees
    the previous load's submodules.
    """
    package = f"{_PACKAGE_PREFIX}.{re.sub(r'[^0-9A-Za-z_]', '_', package_suffix)}"
    if _PACKAGE_PREFIX not in sys.modules:
        root = types.ModuleType(_PACKAGE_PREFIX)
        root.__path__ = []
        sys.modules[_PACKAGE_PREFIX] = root
    pkg = types.ModuleType(package)
    pkg.__path__ = [folder]
    pkg.__file__ = None
    pkg.__package__ = package
    sys.modules[package] = pkg
    try:
        stem = entry_file[:-3] if entry_file.endswith(".py") else entry_file
        entry = importlib.import_module(f"{package}.{stem.replace('/', '.')}")
        candidates = [
            value for value in vars(entry).values()
            if isinstance(value, type) and issubclass(value, Module) and value is not Module
            and value.__module__ == entry.__name__
        ]
        if class_name:
            chosen = [c for c in candidates if c.__name__ == class_name]
            if not chosen:
                raise LookupError(f"entry class {class_name!r} is not a modulus.Module subclass in {entry_file} "
                                  f"(found: {', '.join(c.__name__ for c in candidates) or 'none'})")
            cls = chosen[0]
        elif len(candidates) == 1:
            cls = candidates[0]
        elif not candidates:
            raise LookupError(f"{entry_file} defines no class deriving from modulus.Module; add one, e.g. "
                              "`class MyModule(modulus.Module): def forward(self, text: str) -> str: return text`")
        else:
            raise LookupError(f"{entry_file} defines several modulus.Module classes "
                              f"({', '.join(c.__name__ for c in candidates)}); name one in \"entry\", "
                              f"e.g. \"{entry_file}:{candidates[0].__name__}\"")
        schema = endpoints_of(cls)
        if not schema:
            raise LookupError(f"{cls.__name__} has no endpoints; add a forward method or mark methods with @modulus.endpoint")
        instance = cls()
        instance.name, instance.version, instance.directory = name, version, folder
        instance.setup()
        return instance, json.dumps(schema)
    except BaseException:
        unload(package_suffix, None)
        raise


def unload(package_suffix, instance):
    """Calls teardown and forgets the package and its submodules."""
    try:
        if instance is not None:
            instance.teardown()
    finally:
        package = f"{_PACKAGE_PREFIX}.{re.sub(r'[^0-9A-Za-z_]', '_', package_suffix)}"
        for key in [k for k in sys.modules if k == package or k.startswith(package + ".")]:
            del sys.modules[key]


# Values in: the host builds str, int, float, bool, None, list and dict itself; these two build the rest.

def bytes_in(buffer):
    return bytes(buffer)


def tensor_in(dtype, shape, buffer):
    return _tensor.from_wire(dtype, shape, buffer)


# Values out: one call classifies a result so the host needs a single round trip per value.

KIND_NULL, KIND_BOOL, KIND_INT, KIND_FLOAT, KIND_STRING, KIND_BYTES, KIND_LIST, KIND_MAP, KIND_TENSOR = range(9)


def kind_of(value):
    if value is None:
        return KIND_NULL
    if isinstance(value, bool):
        return KIND_BOOL
    if isinstance(value, int):
        return KIND_INT
    if isinstance(value, float):
        return KIND_FLOAT
    if isinstance(value, str):
        return KIND_STRING
    if isinstance(value, (bytes, bytearray, memoryview)):
        return KIND_BYTES
    if isinstance(value, (list, tuple)):
        return KIND_LIST
    if isinstance(value, dict):
        return KIND_MAP
    if _tensor.is_tensor(value):
        return KIND_TENSOR
    # numpy scalars and other numbers
    if hasattr(value, "item") and callable(value.item):
        return kind_of(value.item())
    raise TypeError(f"a {type(value).__name__} cannot cross a module boundary; return None, bool, int, float, "
                    "str, bytes, list, dict with str keys, or a numpy array / modulus.Tensor")


def scalar(value):
    """Unwraps numpy scalars to plain Python numbers."""
    return value.item() if hasattr(value, "item") and not isinstance(value, (bool, int, float)) else value


def tensor_out(value):
    return _tensor.to_wire(value)


def map_items(value):
    for key in value:
        if not isinstance(key, str):
            raise TypeError(f"map keys must be str, not {type(key).__name__} ({key!r})")
    return list(value.items())
