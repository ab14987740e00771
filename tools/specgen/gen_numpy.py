"""Generate lineage/specs/numpy.json from numpy's namespace plus curated knowledge."""

import inspect
import os
import sys

import numpy as np
import numpy.dtypes
import numpy.fft
import numpy.lib.stride_tricks
import numpy.linalg

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_common import write_doc  # noqa: E402

RNG = "state:numpy.random"
PRINT = "state:numpy.printoptions"
ERR = "state:numpy.err"
BUF = "state:numpy.bufsize"
DRAW = {"reads": [RNG], "writes": [RNG]}


def out_effect(func, extra=None):
    """{} or {"mutates": [pos, "out"]} from a signature."""
    eff = dict(extra or {})
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return eff
    muts = list(eff.get("mutates", []))
    for i, p in enumerate(params):
        if p.name == "out":
            if p.kind is p.POSITIONAL_OR_KEYWORD:
                muts.append(i)
            muts.append("out")
    if muts:
        eff["mutates"] = muts
        eff.setdefault("returns", "arg:out")  # given out=, the result is that array
    return eff


functions: dict[str, dict] = {}

# -- ufuncs and their methods -------------------------------------------------------------------
for name in dir(np):
    uf = getattr(np, name)
    if not isinstance(uf, np.ufunc) or name.startswith("_"):
        continue
    outs = list(range(uf.nin, uf.nin + uf.nout))
    functions[f"numpy.{name}"] = {"mutates": [*outs, "out"], "returns": "arg:out"}
    if uf.signature is None:
        functions[f"numpy.{name}.at"] = {"mutates": [0]}
        if uf.nin == 2 and uf.nout == 1:
            functions[f"numpy.{name}.reduce"] = {"mutates": [3, "out"], "returns": "arg:out"}
            functions[f"numpy.{name}.accumulate"] = {"mutates": [3, "out"], "returns": "arg:out"}
            functions[f"numpy.{name}.reduceat"] = {"mutates": [4, "out"], "returns": "arg:out"}
            functions[f"numpy.{name}.outer"] = {"mutates": ["out"], "returns": "arg:out"}

# -- plain functions ------------------------------------------------------------------------------
SKIP = {"test", "show_config", "show_runtime", "get_include", "info"}
for mod, prefix in [(np, "numpy"), (np.linalg, "numpy.linalg"), (np.fft, "numpy.fft")]:
    for name in dir(mod):
        if name.startswith("_") or name in ("test",):
            continue
        obj = getattr(mod, name)
        if isinstance(obj, (type, np.ufunc)) or not callable(obj):
            continue
        functions[f"{prefix}.{name}"] = out_effect(obj)
for name in ("show_config", "show_runtime", "get_include", "info"):
    functions[f"numpy.{name}"] = {}

VIEWS = """asarray asanyarray ascontiguousarray asfortranarray asarray_chkfinite require atleast_1d
atleast_2d atleast_3d broadcast_to broadcast_arrays diagonal expand_dims flip fliplr flipud imag
real real_if_close matrix_transpose moveaxis permute_dims ravel reshape rollaxis rot90 squeeze
swapaxes transpose split array_split hsplit vsplit dsplit unstack asmatrix frombuffer from_dlpack
trim_zeros diag""".split()
for name in VIEWS:
    functions[f"numpy.{name}"] = {**functions[f"numpy.{name}"], "returns": "arg:0"}
for name in ("diagonal", "matrix_transpose"):
    functions[f"numpy.linalg.{name}"] = {"returns": "arg:0"}
functions["numpy.lib.stride_tricks.as_strided"] = {"returns": "arg:0"}
functions["numpy.lib.stride_tricks.sliding_window_view"] = {"returns": "arg:0"}

MUTATORS = {
    "copyto": [0, "dst"],
    "put": [0, "a"],
    "put_along_axis": [0, "arr"],
    "putmask": [0, "a"],
    "place": [0, "arr"],
    "fill_diagonal": [0, "a"],
}
for name, muts in MUTATORS.items():
    functions[f"numpy.{name}"] = {"mutates": muts}


def fwrite(kw):
    return {"mutates": [0, kw], "files": [{"path": 0, "path_kw": kw, "op": "write"}]}


def fread(kw):
    return {"mutates": [0, kw], "files": [{"path": 0, "path_kw": kw, "op": "read"}]}


functions["numpy.save"] = fwrite("file")
functions["numpy.savez"] = fwrite("file")
functions["numpy.savez_compressed"] = fwrite("file")
functions["numpy.savetxt"] = fwrite("fname")
functions["numpy.load"] = fread("file")
functions["numpy.loadtxt"] = fread("fname")
functions["numpy.genfromtxt"] = fread("fname")
functions["numpy.fromfile"] = fread("file")
functions["numpy.fromregex"] = fread("file")

functions["numpy.set_printoptions"] = {"reads": [PRINT], "writes": [PRINT]}
functions["numpy.printoptions"] = {"reads": [PRINT], "writes": [PRINT]}
for name in ("get_printoptions", "array2string", "array_repr", "array_str",
             "format_float_positional", "format_float_scientific"):
    functions[f"numpy.{name}"] = {"reads": [PRINT]}
functions["numpy.seterr"] = {"reads": [ERR], "writes": [ERR]}
functions["numpy.seterrcall"] = {"reads": [ERR], "writes": [ERR]}
functions["numpy.geterr"] = {"reads": [ERR]}
functions["numpy.geterrcall"] = {"reads": [ERR]}
functions["numpy.setbufsize"] = {"reads": [BUF], "writes": [BUF]}
functions["numpy.getbufsize"] = {"reads": [BUF]}

# -- classes called as constructors -------------------------------------------------------------
scalar_types = sorted({t for t in np.sctypeDict.values()}, key=lambda t: t.__name__)
for t in scalar_types:
    if t in (np.void, np.object_):
        continue
    functions[f"numpy.{t.__name__}"] = {}
for name in ("bool_", "double", "single", "half", "int_", "intc", "intp", "uint", "uintc",
             "uintp", "byte", "ubyte", "short", "ushort", "long", "ulong", "cdouble", "csingle",
             "longlong", "ulonglong", "longdouble", "clongdouble"):
    if hasattr(np, name):
        functions[f"numpy.{name}"] = {}
functions["numpy.dtype"] = {}
functions["numpy.finfo"] = {}
functions["numpy.iinfo"] = {}
functions["numpy.broadcast"] = {}
functions["numpy.busdaycalendar"] = {}
functions["numpy.poly1d"] = {}
functions["numpy.matrix"] = {}
functions["numpy.ndindex"] = {}
functions["numpy.ndarray"] = {"returns": "arg:2"}  # ndarray(shape, dtype, buffer): a view
functions["numpy.recarray"] = {"returns": "arg:2"}
functions["numpy.vectorize"] = {"returns": "arg:0"}
functions["numpy.frompyfunc"] = {"returns": "arg:0"}
functions["numpy.nditer"] = {"returns": "arg:0"}
functions["numpy.ndenumerate"] = {"returns": "arg:0"}
functions["numpy.errstate"] = {"reads": [ERR], "writes": [ERR]}
functions["numpy.memmap"] = {
    "files": [{"path": 0, "path_kw": "filename", "op": "mode", "mode": 2, "mode_kw": "mode",
               "default_mode": "r+"}]
}

for name in dir(np):
    obj = getattr(np, name)
    if isinstance(obj, type) and not name.startswith("_") and name not in ("float128", "complex256"):
        functions.setdefault(f"numpy.{name}", {})

# -- numpy.random -----------------------------------------------------------------------------------
for name in dir(np.random):
    if name.startswith("_") or name in ("test", "bit_generator", "mtrand"):
        continue
    obj = getattr(np.random, name)
    if isinstance(obj, type):
        continue
    functions[f"numpy.random.{name}"] = dict(DRAW)
functions["numpy.random.shuffle"] = {"mutates": [0, "x"], **DRAW}
functions["numpy.random.seed"] = {"writes": [RNG]}
functions["numpy.random.set_state"] = {"writes": [RNG]}
functions["numpy.random.set_bit_generator"] = {"writes": [RNG]}
functions["numpy.random.get_state"] = {"reads": [RNG]}
functions["numpy.random.get_bit_generator"] = {"reads": [RNG]}
functions["numpy.random.default_rng"] = {"returns": "arg:0"}
for name in ("Generator", "RandomState", "BitGenerator", "MT19937", "PCG64", "PCG64DXSM",
             "Philox", "SFC64", "SeedSequence"):
    functions[f"numpy.random.{name}"] = {"returns": "arg:0"}

# -- methods ------------------------------------------------------------------------------------------
SELF = {"mutates": ["self"]}
ndarray = {
    "__array__": {"returns": "self"},
    "__contains__": {},
    "__copy__": {},
    "__deepcopy__": {},
    "__getitem__": {"returns": "part"},
    "__iter__": {"returns": "part"},
    "__len__": {},
    "__repr__": {"reads": [PRINT]},
    "__setitem__": SELF,
    "__setstate__": SELF,
    "__str__": {"reads": [PRINT]},
    "all": {"mutates": [1, "out"]},
    "any": {"mutates": [1, "out"]},
    "argmax": {"mutates": [1, "out"]},
    "argmin": {"mutates": [1, "out"]},
    "argpartition": {},
    "argsort": {},
    "astype": {},
    "byteswap": {"mutates": ["self"], "mutates_when": {"kw": "inplace", "equals": True}},
    "choose": {"mutates": [1, "out"]},
    "clip": {"mutates": [2, "out"]},
    "compress": {"mutates": [2, "out"]},
    "conj": {},
    "conjugate": {},
    "copy": {},
    "cumprod": {"mutates": [2, "out"]},
    "cumsum": {"mutates": [2, "out"]},
    "diagonal": {"returns": "part"},
    "dot": {"mutates": [1, "out"]},
    "dump": {"mutates": [0, "file"], "files": [{"path": 0, "path_kw": "file", "op": "write"}]},
    "dumps": {},
    "fill": SELF,
    "flatten": {},
    "getfield": {"returns": "part"},
    "item": {},
    "max": {"mutates": [1, "out"]},
    "mean": {"mutates": [2, "out"]},
    "min": {"mutates": [1, "out"]},
    "nonzero": {},
    "partition": SELF,
    "prod": {"mutates": [2, "out"]},
    "put": SELF,
    "ravel": {"returns": "part"},
    "repeat": {},
    "reshape": {"returns": "part"},
    "resize": SELF,
    "round": {"mutates": [1, "out"]},
    "searchsorted": {},
    "setfield": SELF,
    "setflags": SELF,
    "sort": SELF,
    "squeeze": {"returns": "part"},
    "std": {"mutates": [2, "out"]},
    "sum": {"mutates": [2, "out"]},
    "swapaxes": {"returns": "part"},
    "take": {"mutates": [2, "out"]},
    "to_device": {"returns": "self"},
    "tobytes": {},
    "tofile": {"mutates": [0, "fid"], "files": [{"path": 0, "path_kw": "fid", "op": "write"}]},
    "tolist": {},
    "trace": {"mutates": [4, "out"]},
    "transpose": {"returns": "part"},
    "var": {"mutates": [2, "out"]},
    "view": {"returns": "part"},
}
for m, e in ndarray.items():
    if "out" in e.get("mutates", []):
        e["returns"] = "arg:out"
for op in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or",
           "xor", "lshift", "rshift"):
    ndarray[f"__i{op}__"] = {"mutates": ["self"], "returns": "self"}

GEN_DRAWS = [n for n in dir(np.random.Generator) if not n.startswith("_")]
generator = {}
for n in GEN_DRAWS:
    if n == "bit_generator":
        continue
    generator[n] = {"mutates": ["self"]}
generator["random"] = {"mutates": ["self", 2, "out"], "returns": "arg:out"}
generator["standard_normal"] = {"mutates": ["self", 2, "out"], "returns": "arg:out"}
generator["standard_exponential"] = {"mutates": ["self", 3, "out"], "returns": "arg:out"}
generator["standard_gamma"] = {"mutates": ["self", 3, "out"], "returns": "arg:out"}
generator["permuted"] = {"mutates": ["self", "out"], "returns": "arg:out"}
generator["shuffle"] = {"mutates": ["self", 0, "x"]}
generator["__getstate__"] = {}
generator["__reduce__"] = {}
generator["__setstate__"] = SELF

randomstate = {}
for n in dir(np.random.RandomState):
    if n.startswith("_"):
        continue
    randomstate[n] = {"mutates": ["self"]}
randomstate["get_state"] = {}
randomstate["shuffle"] = {"mutates": ["self", 0, "x"]}
randomstate["__getstate__"] = {}
randomstate["__reduce__"] = {}
randomstate["__setstate__"] = SELF

bitgen = {
    "advance": {"mutates": ["self"], "returns": "self"},
    "jumped": {},
    "random_raw": SELF,
    "spawn": SELF,
    "__getstate__": {},
    "__reduce__": {},
    "__setstate__": SELF,
}
seedseq = {"generate_state": {}, "spawn": SELF}

ufunc = {
    "accumulate": {"mutates": [3, "out"], "returns": "arg:out"},
    "at": {"mutates": [0]},
    "outer": {"mutates": ["out"], "returns": "arg:out"},
    "reduce": {"mutates": [3, "out"], "returns": "arg:out"},
    "reduceat": {"mutates": [4, "out"], "returns": "arg:out"},
    "resolve_dtypes": {},
}

masked = {
    "compressed": {},
    "count": {},
    "filled": {},
    "harden_mask": {"mutates": ["self"], "returns": "self"},
    "shrink_mask": {"mutates": ["self"], "returns": "self"},
    "soften_mask": {"mutates": ["self"], "returns": "self"},
    "unshare_mask": {"mutates": ["self"], "returns": "self"},
}

methods = {
    "numpy.ndarray": ndarray,
    "numpy.ma.MaskedArray": masked,
    "numpy.memmap": {"flush": {"files": [{"path": "self", "op": "write"}]}},
    "numpy.random._generator.Generator": generator,
    "numpy.random.mtrand.RandomState": randomstate,
    "numpy.random.bit_generator.BitGenerator": bitgen,
    "numpy.random.bit_generator.SeedSequence": seedseq,
    "numpy.ufunc": ufunc,
}

aliases = {
    "numpy.matrix": "numpy.ndarray",
    "numpy.memmap": "numpy.ndarray",
    "numpy.recarray": "numpy.ndarray",
    "numpy.ma.MaskedArray": "numpy.ndarray",
    "numpy.random._pcg64.PCG64": "numpy.random.bit_generator.BitGenerator",
    "numpy.random._pcg64.PCG64DXSM": "numpy.random.bit_generator.BitGenerator",
    "numpy.random._mt19937.MT19937": "numpy.random.bit_generator.BitGenerator",
    "numpy.random._philox.Philox": "numpy.random.bit_generator.BitGenerator",
    "numpy.random._sfc64.SFC64": "numpy.random.bit_generator.BitGenerator",
}

immutable = set()
for t in np.sctypeDict.values():
    if t in (np.void, np.object_):
        continue
    immutable.add(f"{t.__module__}.{t.__qualname__}")
for n in dir(numpy.dtypes):
    if n.endswith("DType"):
        immutable.add(f"numpy.dtypes.{n}")
immutable |= {"numpy.dtype", "numpy.finfo", "numpy.iinfo"}

write_doc(
    sys.argv[1],
    "Side-effect specs for numpy (2.x). Format: docs/specs.md. Global RNG: state:numpy.random; "
    "print options: state:numpy.printoptions; error handling: state:numpy.err. Not expressible "
    "yet: overwrite_input=True (median, percentile, quantile) and copy=False (nan_to_num) "
    "mutate their input.",
    immutable,
    aliases,
    functions,
    methods,
)
print(len(functions), sum(len(m) for m in methods.values()), len(aliases), len(immutable))
