"""Generate lineage/specs/sklearn.json.

Stochastic estimators (fit with default parameters draws from numpy's global RNG) come from an
empirical probe (sk_probe.json, written by sk_probe.py); meta-estimators count as stochastic because what they
fit may be.
"""

import importlib
import inspect
import json
import os
import sys
import warnings

warnings.filterwarnings("ignore")
import sklearn  # noqa: E402
from sklearn.base import BaseEstimator  # noqa: E402
from sklearn.utils import all_estimators  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_common import write_doc  # noqa: E402

RNG = "state:numpy.random"
CFG = "state:sklearn.config"
MPL = "state:matplotlib"
DRAW = {"reads": [RNG], "writes": [RNG]}
FIG = "state:matplotlib.figure"  # pyplot's current figure (see gen_matplotlib.py)
PLOT = {"reads": [MPL, FIG], "writes": [FIG], "returns": FIG}
BASE = "sklearn.base.BaseEstimator"
META_PARAMS = {"estimator", "estimators", "steps", "transformer_list", "transformers",
               "regressor", "base_estimator"}

probe = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "sk_probe.json")))
SEEDED = True  # random_state=... given: the global RNG is not touched (seeded_by)

MODULES = ["base", "calibration", "cluster", "compose", "covariance", "cross_decomposition",
           "datasets", "decomposition", "discriminant_analysis", "dummy", "ensemble",
           "feature_extraction", "feature_extraction.text", "feature_extraction.image",
           "feature_selection", "frozen", "gaussian_process", "gaussian_process.kernels",
           "impute", "inspection", "isotonic", "kernel_approximation", "kernel_ridge",
           "linear_model", "manifold", "metrics", "metrics.pairwise", "mixture",
           "model_selection", "multiclass", "multioutput", "naive_bayes", "neighbors",
           "neural_network", "pipeline", "preprocessing", "random_projection",
           "semi_supervised", "svm", "tree"]


def tname(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


def sig(obj):
    try:
        return list(inspect.signature(obj).parameters.values())
    except (TypeError, ValueError):
        return []


def rng_effect(obj, base=None, skip_self=False):
    """Base effect plus global-RNG use when the callable takes random_state."""
    eff = dict(base or {})
    ps = sig(obj)
    if skip_self and ps and ps[0].name == "self":
        ps = ps[1:]
    for i, p in enumerate(ps):
        if p.name == "random_state":
            muts = list(eff.get("mutates", []))
            if p.kind is p.POSITIONAL_OR_KEYWORD:
                muts.append(i)
            muts.append("random_state")
            eff["mutates"] = muts
            eff["reads"] = sorted({*eff.get("reads", []), RNG})
            eff["writes"] = sorted({*eff.get("writes", []), RNG})
            if SEEDED:
                eff["seeded_by"] = "random_state"
    return eff


functions: dict[str, dict] = {}
classes: dict[type, str] = {}  # class -> public path
for modname in MODULES:
    mod = importlib.import_module(f"sklearn.{modname}")
    names = getattr(mod, "__all__", None) or [n for n in dir(mod) if not n.startswith("_")]
    for n in names:
        try:
            obj = getattr(mod, n, None)
        except ImportError:
            continue
        if obj is None or not callable(obj) or inspect.ismodule(obj):
            continue
        path = f"sklearn.{modname}.{n}"
        if isinstance(obj, type):
            if issubclass(obj, Warning) or issubclass(obj, Exception):
                continue
            classes.setdefault(obj, path)
            functions[path] = {}
            continue
        if getattr(obj, "__module__", "").split(".")[0] != "sklearn":
            continue
        functions[path] = rng_effect(obj)

# curated functions
for n in ("train_test_split", "cross_val_score", "cross_validate", "cross_val_predict",
          "learning_curve", "validation_curve", "permutation_test_score"):
    functions[f"sklearn.model_selection.{n}"] = rng_effect(
        getattr(importlib.import_module("sklearn.model_selection"), n), DRAW
    )
functions["sklearn.set_config"] = {"writes": [CFG]}
functions["sklearn.get_config"] = {"reads": [CFG]}
functions["sklearn.config_context"] = {"reads": [CFG], "writes": [CFG]}
functions["sklearn.show_versions"] = {}
functions["sklearn.base.clone"] = {}
functions["sklearn.pipeline.make_pipeline"] = {"returns": "arg:*"}  # holds the very steps
functions["sklearn.pipeline.make_union"] = {"returns": "arg:*"}
functions["sklearn.pipeline.Pipeline"] = {"returns": "arg:0"}
functions["sklearn.pipeline.FeatureUnion"] = {"returns": "arg:0"}
functions["sklearn.frozen.FrozenEstimator"] = {"returns": "arg:0"}
functions["sklearn.tree.plot_tree"] = {**PLOT}
functions["sklearn.tree.export_graphviz"] = {
    "mutates": [1, "out_file"], "files": [{"path": 1, "path_kw": "out_file", "op": "write"}]
}
functions["sklearn.datasets.dump_svmlight_file"] = {
    "mutates": [2, "f"], "files": [{"path": 2, "path_kw": "f", "op": "write"}]
}
functions["sklearn.datasets.load_svmlight_file"] = {
    "mutates": [0, "f"], "files": [{"path": 0, "path_kw": "f", "op": "read"}]
}
functions["sklearn.datasets.load_svmlight_files"] = {
    "files": [{"path": 0, "path_kw": "files", "op": "read"}]
}
functions["sklearn.datasets.get_data_home"] = {}
functions["sklearn.datasets.clear_data_home"] = {"unknown": True}
utils = importlib.import_module("sklearn.utils")
functions["sklearn.utils.shuffle"] = rng_effect(utils.shuffle, DRAW)
functions["sklearn.utils.resample"] = rng_effect(utils.resample, DRAW)
functions["sklearn.utils.check_random_state"] = {"returns": "arg:0"}
functions["sklearn.utils.Bunch"] = {}
functions["sklearn.utils.compute_class_weight"] = {}
functions["sklearn.utils.compute_sample_weight"] = {}
functions["sklearn.utils.check_array"] = {"returns": "arg:0"}
functions["sklearn.utils.check_X_y"] = {"returns": "arg:0"}
functions["sklearn.utils.column_or_1d"] = {"returns": "arg:0"}
functions["sklearn.utils.estimator_html_repr"] = {}
functions["sklearn.utils.all_estimators"] = {}

# display classes: from_* plot
for cls, path in list(classes.items()):
    if cls.__name__.endswith("Display"):
        for m in ("from_estimator", "from_predictions", "from_cv_results"):
            if hasattr(cls, m):
                functions[f"{path}.{m}"] = rng_effect(getattr(cls, m), {**PLOT})
        if cls.__name__ in ("LearningCurveDisplay", "ValidationCurveDisplay"):
            functions[f"{path}.from_estimator"] = rng_effect(cls.from_estimator, {**PLOT, **{
                "reads": [MPL, FIG, RNG], "writes": [FIG, RNG]}})

# -- estimator methods --------------------------------------------------------------------------
FIT = {"mutates": ["self"], "returns": "self"}
base = {
    "fit": dict(FIT),
    "partial_fit": dict(FIT),
    "fit_transform": {"mutates": ["self"], "reads": [CFG]},
    "fit_predict": {"mutates": ["self"]},
    "set_params": dict(FIT),
    "set_output": dict(FIT),
    "densify": dict(FIT),
    "sparsify": dict(FIT),
    "restrict": dict(FIT),
    "set_callbacks": dict(FIT),
    "correct_covariance": {"mutates": ["self"]},
    "reweight_covariance": {"mutates": ["self"]},
    "transform": {"reads": [CFG]},
    "get_params": {"returns": "part"},
    "__getstate__": {"returns": "part"},
    "__setstate__": {"mutates": ["self"]},
    "__sklearn_clone__": {},
    "__sklearn_tags__": {},
    "__repr__": {},
    "__getitem__": {"returns": "part"},
    "__len__": {},
    "__iter__": {"returns": "part"},
}
PURE_NAMES = """aic apply bic build_analyzer build_preprocessor build_tokenizer decision_function
decision_path decode error_norm get_covariance get_depth get_feature_names_out get_indices
get_metadata_routing get_n_leaves get_precision get_shape get_stop_words get_submatrix
get_support inverse_transform kneighbors kneighbors_graph latent_mean_and_variance
log_marginal_likelihood mahalanobis path perplexity predict predict_joint_log_proba
predict_log_proba predict_proba radius_neighbors radius_neighbors_graph reconstruction_error
sample_y score score_samples staged_decision_function staged_predict staged_predict_proba
staged_score dbscan_clustering""".split()
for n in PURE_NAMES:
    base[n] = {}
SET_REQUESTS = set()

estimators = dict(all_estimators())
aliases: dict[str, str] = {}
methods: dict[str, dict[str, dict]] = {BASE: base}
for name, cls in sorted(estimators.items()):
    aliases[tname(cls)] = BASE
    for m in dir(cls):
        if m.startswith("set_") and m.endswith("_request"):
            SET_REQUESTS.add(m)
    params = {p for p in inspect.signature(cls).parameters}
    result = probe.get(name, ("unknown",))
    meta = bool(params & META_PARAMS)
    stochastic = (
        result[0] == "drew"
        or meta
        or (result[0] in ("fit-fail", "ctor-fail", "unknown") and "random_state" in params)
    )
    table = {}
    if stochastic:
        for m in ("fit", "partial_fit", "fit_transform", "fit_predict", "sample",
                  "gibbs", "cost_complexity_pruning_path"):
            if hasattr(cls, m):
                eff = dict(base.get(m, {}))
                eff["reads"] = sorted({*eff.get("reads", []), RNG})
                eff["writes"] = [RNG]
                if SEEDED and "random_state" in params:
                    eff["seeded_by"] = "random_state"
                table[m] = eff
    if meta:
        for m in ("fit", "partial_fit", "fit_predict"):
            if m in table:
                table[m]["reads"] = sorted({*table[m]["reads"], CFG})
    for m in dir(cls):
        if m.startswith("_") or m in table:
            continue
        fn = getattr(cls, m, None)
        if not callable(fn) or isinstance(fn, type):
            continue
        if any(p.name == "random_state" for p in sig(fn)):
            table[m] = rng_effect(fn, base.get(m, {}), skip_self=True)
    if table:
        methods[tname(cls)] = table
for m in SET_REQUESTS:
    base[m] = dict(FIT)

# cross-validation splitters: split() may shuffle with the global RNG
ms = importlib.import_module("sklearn.model_selection")
splitter_base = "sklearn.model_selection.BaseCrossValidator"
methods[splitter_base] = {"split": dict(DRAW), "get_n_splits": {}, "__repr__": {}}
for n in dir(ms):
    cls = getattr(ms, n)
    if isinstance(cls, type) and hasattr(cls, "split") and hasattr(cls, "get_n_splits") \
            and not issubclass(cls, BaseEstimator) and tname(cls) != splitter_base:
        aliases[tname(cls)] = splitter_base
methods["sklearn.model_selection.ParameterGrid"] = {"*": {}}
methods["sklearn.model_selection.ParameterSampler"] = {"*": {}, "__iter__": dict(DRAW)}

# display objects: plotting only
for cls in classes:
    if cls.__name__.endswith("Display"):
        methods[tname(cls)] = {"*": {"mutates": ["self"], **PLOT}}

aliases["sklearn.utils._bunch.Bunch"] = "builtins.dict"

write_doc(
    sys.argv[1],
    "Side-effect specs for scikit-learn. Format: docs/specs.md. Every estimator type is an "
    "alias of sklearn.base.BaseEstimator (fit/partial_fit/fit_transform/set_params change the "
    "estimator; predict/score/transform/get_params do not). Types whose fit draws from numpy's "
    "global RNG with default parameters (found by running them), and meta-estimators, add "
    "state:numpy.random to their fitting methods; so does every function with a random_state "
    "parameter. Gaps: a random_state given as a number still counts as a global-RNG draw, and "
    "copy=False inputs are not listed as mutated.",
    [],
    aliases,
    functions,
    methods,
)
print(len(functions), sum(len(m) for m in methods.values()), len(aliases))
