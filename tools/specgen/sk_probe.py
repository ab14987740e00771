import os
import warnings, inspect, json, sys
warnings.filterwarnings("ignore")
import numpy as np
from sklearn.utils import all_estimators
from sklearn.linear_model import LogisticRegression, LinearRegression
from sklearn.tree import DecisionTreeClassifier
rng = np.random.RandomState(0)
X = np.abs(rng.rand(60, 4)) + 0.1
yc = (X[:, 0] + X[:, 1] > 1.2).astype(int)
yr = X @ np.array([1.0, 2.0, -1.0, 0.5]) + rng.rand(60) * 0.1
out = {}
for name, cls in all_estimators():
    params = inspect.signature(cls).parameters
    kw = {}
    if "estimator" in params and params["estimator"].default is inspect.Parameter.empty:
        kw["estimator"] = DecisionTreeClassifier() if "Classif" in name or "OneVs" in name or "Output" in name or "Chain" in name or "Calib" in name or "SelfTrain" in name or name.startswith("RFE") or name=="SelectFromModel" or name=="SequentialFeatureSelector" else DecisionTreeClassifier()
    if "estimators" in params and params["estimators"].default is inspect.Parameter.empty:
        kw["estimators"] = [("a", DecisionTreeClassifier()), ("b", LogisticRegression())]
    if "steps" in params: kw["steps"] = [("m", DecisionTreeClassifier())]
    if "transformer_list" in params: kw["transformer_list"] = [("p", __import__("sklearn.decomposition").decomposition.PCA(2))]
    if "transformers" in params: kw["transformers"] = [("p", "passthrough", [0, 1])]
    if "param_grid" in params: kw["param_grid"] = {"max_depth": [1, 2]}
    if "param_distributions" in params: kw["param_distributions"] = {"max_depth": [1, 2, 3]}
    if "base_estimator" in params and params["base_estimator"].default is inspect.Parameter.empty:
        kw["base_estimator"] = DecisionTreeClassifier()
    try:
        est = cls(**kw)
    except Exception as e:
        out[name] = ("ctor-fail", repr(e)[:80], cls.__module__); continue
    res = None
    for y in (yc, yr, None):
        np.random.seed(123)
        before = np.random.get_state()[1].copy(), np.random.get_state()[2]
        try:
            if y is None: est.fit(X)
            else: est.fit(X, y)
        except Exception as e:
            res = ("fit-fail", repr(e)[:80]); continue
        after = np.random.get_state()
        drew = not (np.array_equal(before[0], after[1]) and before[1] == after[2])
        res = ("drew" if drew else "clean", "y" if y is not None else "noy")
        break
    out[name] = (*res, cls.__module__, "random_state" in params)
json.dump(out, open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "sk_probe.json"), "w"), indent=0)
for k, v in out.items():
    print(k, v)
