import os

os.system("touch {OUT}/pwned-at-import")  # a call: never taken by the grader
open("{OUT}/pwned-open", "w")


def _decorate(f):
    # decorators do run (in the sandbox): they must not reach anything of ours
    try:
        open("{OUT}/pwned-decorator", "w").write("x")
    except OSError:
        pass
    return f


@_decorate
def cost_gradients(X, t, w, b, _default=os.getcwd()):
    n = X.shape[0]
    err = X @ w + b - t
    return X.T @ err / n, err.mean()
