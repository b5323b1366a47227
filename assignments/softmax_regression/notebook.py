# %% [markdown]
# Logistic regression separates two classes. Here you generalise it to $K$ classes:
# a linear model produces one logit per class, the softmax function turns the logits
# into a probability vector, and the cross-entropy measures how much probability the
# model gives to the correct class. You will write every piece yourself, including
# the gradients, and then train the classifier on handwritten digits (and on
# FashionMNIST when the notebook can download it), on the GPU when there is one.
#
# The graded functions, in order (15 points):
#
# | function | points |
# | --- | --- |
# | `softmax(Z)` | 2 |
# | `one_hot(t, num_classes)` | 1 |
# | `softmax_cross_entropy(Z, t)` | 3 |
# | `softmax_regression_gradients(X, t, W, b)` | 4 |
# | `predict_classes(X, W, b)` | 1 |
# | `fit_softmax_regression(X, t, num_classes, lr, num_epochs, batch_size, generator=None)` | 4 |
#
# The written questions at the end, graded by hand (7 points):
#
# | question | points |
# | --- | --- |
# | Question 1 | 2 |
# | Question 2 | 3 |
# | Question 3 | 2 |
#
# **How to work through it.** Run the setup cell first. Each graded function has a
# cell with a stub: replace the `raise NotImplementedError(...)` with your code, run
# the cell, then run the `check("name")` cell below it. A check runs public test
# cases on your function and compares the results with PyTorch's own implementations
# (`torch.softmax`, `torch.nn.functional.cross_entropy`) and with gradients computed
# by `torch.autograd`, in float64 and float32 and with logits as large as $10^4$.
# Passing the public checks is a good sign, not a guarantee: the grader runs more
# hidden cases of the same kinds.
#
# **Rules for graded functions.**
# - Gradients are derived and coded by hand. Do not use `torch.autograd`,
#   `.backward()`, `torch.nn`, `torch.nn.functional`, `torch.softmax`,
#   `torch.log_softmax`, `torch.logsumexp`, `torch.special` or their tensor-method
#   versions (such as `Z.softmax(...)`). Arithmetic, `torch.exp`, `torch.log`,
#   `max`/`amax`, `sum`, `argmax`, indexing and `@` are all fine.
# - Work for float32 and float64 on any device and return results with the dtype and
#   device of the inputs (`one_hot` always returns float32, `predict_classes` int64).
# - Never modify an input in place.
# - Stay finite and accurate for every finite input, including logits as large as
#   $10^4$ in float32.
#
# **No GPU?** If the setup cell reports that no GPU was found and you are in Colab, choose
# *Runtime → Change runtime type*, pick a GPU (such as T4), save, and run the setup cell
# again (Colab starts a fresh session, so run the cells above your work again too). Without
# a GPU everything still runs, only the training sections take longer.
#
# **Submitting.** Download this notebook as `.ipynb` (File → Download), or copy your
# functions into a file `softmax_regression.py`. The grader keeps only the imports,
# function definitions and simple constants (such as `LR = 0.1`) of what you submit
# and never runs the experiments or plots, so anything a graded function needs must
# live inside a function. Written answers go in the cells marked *Your answer here*.

# %%
# kit: setup

# %%
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

# Set to False to skip the FashionMNIST download and train on the bundled digits only.
USE_ONLINE_DATA = True

print("torch", torch.__version__, "| device:", DEVICE)

# %% [markdown]
# ## 1. Multiclass targets and one-hot vectors
#
# With $K$ classes a target is one of the labels $\{0, 1, \dots, K-1\}$ (the lectures
# count from 1; PyTorch counts from 0). A whole batch of targets is stored compactly
# as an int64 vector `t` of shape `(N,)`, for example `t = [2, 0, 1, 2]` with $K = 3$.
#
# For the algebra it is handier to write target $k$ as a **one-hot** vector
# (a one-of-$K$ encoding): a vector of length $K$ whose entry $k$ is 1 and whose other
# entries are 0. Stacking the rows of the example above gives an $N \times K$ matrix:
#
# $$
# \mathbf{t} = \begin{bmatrix} 2 \\ 0 \\ 1 \\ 2 \end{bmatrix}
# \quad\longrightarrow\quad
# \mathbf{T} = \begin{bmatrix}
# 0 & 0 & 1 \\
# 1 & 0 & 0 \\
# 0 & 1 & 0 \\
# 0 & 0 & 1
# \end{bmatrix}
# $$
#
# Each row of $\mathbf{T}$ is itself a probability distribution: all of the mass sits on
# the correct class. That is what lets us compare it with the model's predicted
# distribution below.
#
# The model has $D$ inputs and $K$ outputs, so it needs a $K \times D$ weight matrix
# $\mathbf{W}$ (row $k$ belongs to class $k$) and a bias vector $\mathbf{b}$ of length
# $K$. For one example the logits are
#
# $$ z_k = \sum_{j=1}^{D} w_{kj} x_j + b_k, \qquad \mathbf{z} = \mathbf{W}\mathbf{x} + \mathbf{b}. $$
#
# With one example per row of `X` (shape `(N, D)`), all logits at once are
# `Z = X @ W.T + b`, of shape `(N, K)`.

# %% [markdown]
# ## 2. Softmax: from logits onto the simplex
#
# A vector of class probabilities has non-negative entries that add up to 1. The set
# of such vectors of length $K$ is the **simplex** $\Delta^{K-1}$; it has only $K-1$
# degrees of freedom because the last entry is fixed by the others. For $K = 3$ it is a
# triangle whose corners are the three one-hot vectors.
#
# The softmax function maps any real vector of logits onto the simplex:
#
# $$
# \operatorname{softmax}: \mathbb{R}^K \to \Delta^{K-1}, \qquad
# y_k = \operatorname{softmax}(\mathbf{z})_k = \frac{e^{z_k}}{\sum_{k'=1}^{K} e^{z_{k'}}}.
# $$
#
# Exponentials are positive and the denominator normalises them, so the outputs can be
# read as probabilities. When one logit is much larger than the rest, almost all of the
# mass goes to it: softmax behaves like a smooth ("soft") argmax. The cell below writes
# the formula literally and pushes random logits for $K = 3$ through it, scaled by
# growing factors: larger logits drive the points towards the corners of the triangle.

# %%
def naive_softmax(Z):
    """The softmax formula written literally, row by row (not stable; see section 3)."""
    E = torch.exp(Z)
    return E / E.sum(1, keepdim=True)


corners = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.5, 3 ** 0.5 / 2]])  # the three one-hot vectors, drawn in 2-D
Z_demo = torch.randn(400, 3, generator=torch.Generator().manual_seed(0))

fig, axes = plt.subplots(1, 3, figsize=(12, 3.8))
for ax, scale in zip(axes, [0.5, 2.0, 8.0]):
    points = naive_softmax(scale * Z_demo) @ corners  # each probability vector as a point of the triangle
    ax.plot(*corners[[0, 1, 2, 0]].T, color="black", linewidth=1)
    ax.scatter(points[:, 0], points[:, 1], s=4, alpha=0.6)
    for k, (cx, cy) in enumerate(corners.tolist()):
        ax.annotate(f"class {k}", (cx, cy), textcoords="offset points",
                    xytext=(0, 6 if k == 2 else -14), ha="center")
    ax.set_title(f"softmax({scale:g} * z), z ~ N(0, I)", pad=16)
    ax.set_aspect("equal")
    ax.axis("off")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 3. Overflow, the max trick and log-sum-exp
#
# Written literally, softmax breaks for large logits. In float32, $e^{z}$ overflows to
# `inf` as soon as $z > 88.7$, and `inf / inf` is `nan`:

# %%
Z_large = torch.tensor([[1000.0, 0.0], [2.0, 1.0]])  # float32
print("exp(1000) in float32:", torch.exp(torch.tensor(1000.0)))
print("naive softmax:\n", naive_softmax(Z_large))

# %% [markdown]
# The fix comes from a property of softmax: adding the same constant $c$ to every logit
# changes nothing, because $e^{z_k + c} = e^{c} e^{z_k}$ and the factor $e^{c}$ cancels
# between numerator and denominator:
#
# $$ \operatorname{softmax}(\mathbf{z} + c\,\mathbf{1}) = \operatorname{softmax}(\mathbf{z}). $$
#
# Choosing $c = -m$ with $m = \max_k z_k$ (the **max trick**) makes every shifted logit
# $\le 0$, so no exponential exceeds 1, and the largest one equals exactly 1, so the
# denominator is at least 1 and never 0. The cell below checks the invariance on
# moderate logits, where the literal formula still works.

# %%
z_row = torch.tensor([[3.0, 1.0, -2.0]])
print(naive_softmax(z_row))
print(naive_softmax(z_row - 5.0))   # same probabilities
print(naive_softmax(z_row + 50.0))  # still the same (up to rounding)

# %% [markdown]
# For the loss we need $\log y_k$, and taking the log of a softmax that has already been
# computed is a second trap: a probability that underflows to 0 gives $\log 0 = -\infty$,
# even though the exact log-probability is a perfectly ordinary number.

# %%
z_far = torch.tensor([[0.0, -200.0]])
print("softmax:", naive_softmax(z_far))
print("log of softmax:", torch.log(naive_softmax(z_far)), " (the exact values are about [0, -200])")

# %% [markdown]
# So we work with logs from the start. Taking the log of the softmax formula gives
#
# $$ \log y_k = z_k - \log \sum_{k'} e^{z_{k'}}, $$
#
# and the **log-sum-exp** term is computed with the same shift:
#
# $$ \log \sum_{k'} e^{z_{k'}} = m + \log \sum_{k'} e^{z_{k'} - m}, \qquad m = \max_{k'} z_{k'}. $$
#
# The sum on the right lies between 1 and $K$, so its log is between 0 and $\log K$:
# nothing overflows and nothing is a log of zero. Combining the two lines,
#
# $$ \log y_k = (z_k - m) - \log \sum_{k'} e^{z_{k'} - m}. $$
#
# Computing with the shifted logits $z_k - m$ throughout (rather than adding $m$ back
# and subtracting $z_k$) also avoids cancelling two numbers of size $10^4$, which in
# float32 would lose about three decimal digits.

# %% [markdown]
# ## 4. Cross-entropy, and why $\partial \mathcal{L} / \partial \mathbf{z} = \mathbf{y} - \mathbf{t}$
#
# We now have two distributions over the $K$ classes for each example: the target
# $\mathbf{t}$ (one-hot) and the prediction $\mathbf{y} = \operatorname{softmax}(\mathbf{z})$.
# A natural measure of how far apart they are is the Kullback-Leibler divergence:
#
# $$
# \mathrm{KL}(\mathbf{t} \,\|\, \mathbf{y}) = \sum_{k} t_k \log \frac{t_k}{y_k}
# = \underbrace{\sum_k t_k \log t_k}_{\text{does not depend on the model}} \; - \; \sum_k t_k \log y_k .
# $$
#
# The first term cannot be changed by the parameters (for a one-hot $\mathbf{t}$ it is 0,
# with $0 \log 0 = 0$), so minimising the KL divergence is the same as minimising the
# **cross-entropy**
#
# $$ \mathcal{L}_{\mathrm{CE}}(\mathbf{y}, \mathbf{t}) = -\sum_{k=1}^{K} t_k \log y_k = -\mathbf{t}^\top \log \mathbf{y}. $$
#
# Because $\mathbf{t}$ is one-hot, only the correct class $c$ survives:
# $\mathcal{L}_{\mathrm{CE}} = -\log y_c$. Putting 99% of the mass on a wrong class is
# punished much harder than putting 90% there, since $-\log 0.01 \approx 4.6$ while
# $-\log 0.1 \approx 2.3$, and the loss grows without bound as $y_c \to 0$.
#
# **The gradient with respect to the logits.** Substitute
# $\log y_k = z_k - \log \sum_{k'} e^{z_{k'}}$ and use $\sum_k t_k = 1$:
#
# $$
# \mathcal{L}_{\mathrm{CE}}
# = -\sum_k t_k z_k + \Big(\sum_k t_k\Big) \log \sum_{k'} e^{z_{k'}}
# = -\sum_k t_k z_k + \log \sum_{k'} e^{z_{k'}} .
# $$
#
# Differentiating with respect to one logit $z_j$, the first term gives $-t_j$ and the
# second gives $e^{z_j} / \sum_{k'} e^{z_{k'}} = y_j$:
#
# $$
# \frac{\partial \mathcal{L}_{\mathrm{CE}}}{\partial z_j} = y_j - t_j,
# \qquad\text{that is}\qquad
# \frac{\partial \mathcal{L}_{\mathrm{CE}}}{\partial \mathbf{z}} = \mathbf{y} - \mathbf{t}.
# $$
#
# The error signal is simply "prediction minus target", exactly as for linear
# regression with squared error and for logistic regression with cross-entropy. It is
# bounded (each entry lies in $[-1, 1]$) and does not vanish when the model is confidently
# wrong, which is why softmax and cross-entropy are used together.

# %% [markdown]
# ## 5. Gradients for $\mathbf{W}$ and $\mathbf{b}$
#
# For a batch, the cost is the mean loss over the $N$ examples:
#
# $$
# \mathbf{Z} = \mathbf{X}\mathbf{W}^\top + \mathbf{1}\mathbf{b}^\top, \qquad
# \mathbf{Y} = \operatorname{softmax}(\mathbf{Z}) \text{ (row by row)}, \qquad
# \mathcal{J} = \frac{1}{N} \sum_{i=1}^{N} \mathcal{L}_{\mathrm{CE}}(\mathbf{y}^{(i)}, \mathbf{t}^{(i)}).
# $$
#
# By section 4, each row of the gradient with respect to the logits is
# $(\mathbf{y}^{(i)} - \mathbf{t}^{(i)}) / N$, so in matrix form
# $\partial \mathcal{J} / \partial \mathbf{Z} = (\mathbf{Y} - \mathbf{T}) / N$, of shape
# $N \times K$. Since $z_{ik} = \sum_j x_{ij} w_{kj} + b_k$, the chain rule gives
#
# $$
# \frac{\partial \mathcal{J}}{\partial w_{kj}} = \sum_{i=1}^{N} \frac{\partial \mathcal{J}}{\partial z_{ik}}\, x_{ij},
# \qquad
# \frac{\partial \mathcal{J}}{\partial b_k} = \sum_{i=1}^{N} \frac{\partial \mathcal{J}}{\partial z_{ik}},
# $$
#
# or, vectorised,
#
# $$
# \frac{\partial \mathcal{J}}{\partial \mathbf{W}} = \frac{1}{N} (\mathbf{Y} - \mathbf{T})^\top \mathbf{X} \;\; (K \times D),
# \qquad
# \frac{\partial \mathcal{J}}{\partial \mathbf{b}} = \frac{1}{N} (\mathbf{Y} - \mathbf{T})^\top \mathbf{1} \;\; (K).
# $$
#
# A useful habit: check the shapes. $(\mathbf{Y} - \mathbf{T})^\top$ is $K \times N$ and
# $\mathbf{X}$ is $N \times D$, so the product has the shape of $\mathbf{W}$, as every
# gradient must.

# %% [markdown]
# ## 6. Mini-batch stochastic gradient descent
#
# The full gradient averages over all $N$ examples. When $N$ is large, a **mini-batch**
# of $B$ examples gives a noisy but unbiased estimate of it at a fraction of the cost,
# so we can take many more (smaller) steps in the same time:
#
# $$ \mathbf{W} \leftarrow \mathbf{W} - \alpha \, \frac{\partial \mathcal{J}_{\text{batch}}}{\partial \mathbf{W}}, \qquad
#    \mathbf{b} \leftarrow \mathbf{b} - \alpha \, \frac{\partial \mathcal{J}_{\text{batch}}}{\partial \mathbf{b}}. $$
#
# One **epoch** is one pass over the whole training set: shuffle the example indices,
# then cut the shuffled order into consecutive batches of $B$ (the last batch is smaller
# when $B$ does not divide $N$). Shuffling every epoch keeps the batches from always
# containing the same examples. A `torch.Generator` with a fixed seed makes the shuffle,
# and so the whole run, reproducible. A generator made on the CPU produces CPU
# indices, so move them to the data's device before indexing tensors on the GPU.

# %%
gen = torch.Generator().manual_seed(0)
N_demo, B_demo = 10, 4
for epoch in range(2):
    order = torch.randperm(N_demo, generator=gen)
    batches = [order[start:start + B_demo].tolist() for start in range(0, N_demo, B_demo)]
    print(f"epoch {epoch}: batches {batches}")

# %% [markdown]
# ## 7. Your functions
#
# ### `softmax(Z)`
#
# Row-wise softmax of logits `Z` of shape `(N, K)`, returning `(N, K)` in the dtype and
# device of `Z`:
#
# $$ Y_{ik} = \frac{e^{Z_{ik} - m_i}}{\sum_{k'} e^{Z_{ik'} - m_i}}, \qquad m_i = \max_{k'} Z_{ik'} . $$
#
# Use the max trick from section 3 so that logits of size $10^4$ do not overflow (the
# check includes such logits in float32).
# Hint: `Z.amax(dim=1, keepdim=True)` has shape `(N, 1)` and broadcasts against `Z`.

# %%
# kit: function softmax

# %%
check("softmax")

# %% [markdown]
# ### `one_hot(t, num_classes)`
#
# Turn the int64 class indices `t` of shape `(N,)` into the float32 matrix $\mathbf{T}$ of
# shape `(N, K)` from section 1, on the device of `t`: `T[i, t[i]] = 1`, all other
# entries 0. The dtype is float32 whatever the inputs; callers convert it with
# `.to(...)` when they need float64. No loop is needed: index with a pair of tensors,
# rows `torch.arange(N)` and columns `t`.

# %%
# kit: function one_hot

# %%
check("one_hot")

# %% [markdown]
# ### `softmax_cross_entropy(Z, t)`
#
# The mean cross-entropy of a batch, computed from the logits `Z` `(N, K)` and the class
# indices `t` `(N,)`; returns a 0-dim tensor in the dtype and device of `Z`:
#
# $$
# \mathcal{J} = \frac{1}{N} \sum_{i=1}^{N} -\log \operatorname{softmax}(\mathbf{z}^{(i)})_{t_i}
# = \frac{1}{N} \sum_{i=1}^{N} \Big( \log \sum_{k} e^{Z_{ik} - m_i} - (Z_{i t_i} - m_i) \Big).
# $$
#
# Use the log-sum-exp form; do not take the log of `softmax(Z)`. The check compares
# your cost with `torch.nn.functional.cross_entropy(Z, t)`, including logits of size
# $10^4$ in float32. To pick out $Z_{i t_i}$ for every row at once, index with
# `torch.arange(N)` and `t` (or use `torch.gather`).

# %%
# kit: function softmax_cross_entropy

# %%
check("softmax_cross_entropy")

# %% [markdown]
# ### `softmax_regression_gradients(X, t, W, b)`
#
# The gradients of $\mathcal{J}(\mathbf{W}, \mathbf{b}) =$
# `softmax_cross_entropy(X @ W.T + b, t)` from section 5, with `X` `(N, D)`, `t` `(N,)`,
# `W` `(K, D)` and `b` `(K,)`. Return `(dW, db)` with shapes `(K, D)` and `(K,)`, in the
# dtype and device of `X`:
#
# $$ \frac{\partial \mathcal{J}}{\partial \mathbf{W}} = \frac{1}{N} (\mathbf{Y} - \mathbf{T})^\top \mathbf{X}, \qquad
#    \frac{\partial \mathcal{J}}{\partial \mathbf{b}} = \frac{1}{N} \sum_{i} (\mathbf{y}^{(i)} - \mathbf{t}^{(i)}). $$
#
# Reuse your `softmax` and `one_hot` (mind the dtype of `one_hot`'s result). The check
# compares your gradients with `torch.autograd.grad` of
# `torch.nn.functional.cross_entropy(X @ W.T + b, t)`.

# %%
# kit: function softmax_regression_gradients

# %%
check("softmax_regression_gradients")

# %% [markdown]
# ### `predict_classes(X, W, b)`
#
# The most probable class of each row of `X` `(N, D)`, as an int64 tensor of shape
# `(N,)`: $\hat{c}_i = \arg\max_k \operatorname{softmax}(\mathbf{z}^{(i)})_k$. Softmax never
# changes which logit is largest, so you do not need to compute it here.

# %%
# kit: function predict_classes

# %%
check("predict_classes")

# %% [markdown]
# ### `fit_softmax_regression(X, t, num_classes, lr, num_epochs, batch_size, generator=None)`
#
# Mini-batch SGD from section 6, starting from `W = 0` `(K, D)` and `b = 0` `(K,)` in the
# dtype and device of `X`. For each epoch:
#
# 1. draw the order of the examples (below);
# 2. walk through that order in consecutive batches of `batch_size` (the last one may be
#    smaller), and after each batch update `W -= lr * dW`, `b -= lr * db` with the
#    gradients from `softmax_regression_gradients` on that batch (write the updates as
#    `W = W - lr * dW` so that no tensor is modified in place).
#
# Return `(W, b, costs)`, where `costs` is a 1-D tensor of length `num_epochs + 1`: the
# full-batch `softmax_cross_entropy` on all of `X` before training (`costs[0]`, which is
# $\log K$ at zero weights) and after each epoch.
#
# The order of the examples: every epoch draws a new order and visits every example
# once in it. Draw it from `generator` with `torch.randperm(N, generator=generator,
# device=generator.device)`, then move it to `X`'s device. With `generator=None` (the
# default) the same call without a generator, `torch.randperm(N)`, draws it on the CPU
# from PyTorch's global random number generator (seeded by `torch.manual_seed`); the
# checks accept any order then, as long as every epoch draws a new one.
#
# `check("fit_softmax_regression")` runs three cases: one with a seeded generator, one
# with `generator=None` in float32, and one with `batch_size` larger than `N` (one
# short batch per epoch). In the first two the examples are arranged by class so that
# one particular order meets the classes one after another (the order of the rows, or
# the first order `torch.randperm` draws from the case's generator): an epoch in that
# order ends on a long run of one class and pulls the model towards it. Training that
# draws a new order every epoch meets it at most once and recovers; training that never
# shuffles, or shuffles only once (with `torch.randperm` as above) before the first
# epoch, fails.

# %%
# kit: function fit_softmax_regression

# %%
check("fit_softmax_regression")

# %% [markdown]
# ## 8. Data
#
# The digits data set from scikit-learn ships with the library, so it always works,
# offline too: 1,797 images of handwritten digits, 8×8 pixels with values 0 to 16, which
# we scale to $[0, 1]$ and flatten to $D = 64$. A quarter is held out as a test set.
#
# When the notebook can reach the internet (Colab can), it also downloads
# FashionMNIST through torchvision: 70,000 grey-scale 28×28 images ($D = 784$) of ten
# kinds of clothing, the data set from the lectures. If the download fails, the
# notebook says so and carries on with digits only. Every tensor goes to `DEVICE`, so
# training runs on the GPU when there is one.

# %%
digits = load_digits()
X_tr, X_te, t_tr, t_te = train_test_split(digits.data / 16.0, digits.target, test_size=0.25,
                                          random_state=0, stratify=digits.target)
datasets = {
    "digits": {
        "X_train": torch.tensor(X_tr, dtype=torch.float32, device=DEVICE),
        "t_train": torch.tensor(t_tr, dtype=torch.int64, device=DEVICE),
        "X_test": torch.tensor(X_te, dtype=torch.float32, device=DEVICE),
        "t_test": torch.tensor(t_te, dtype=torch.int64, device=DEVICE),
        "class_names": [str(k) for k in range(10)],
        "image_shape": (8, 8),
    }
}

fig, axes = plt.subplots(1, 10, figsize=(12, 1.6))
for k, ax in enumerate(axes):
    first = int((datasets["digits"]["t_train"] == k).nonzero()[0])
    ax.imshow(datasets["digits"]["X_train"][first].reshape(8, 8).cpu(), cmap="gray_r")
    ax.set_title(str(k))
    ax.axis("off")
plt.show()

# %%
if USE_ONLINE_DATA:
    import socket

    previous_timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(10)  # give up quickly when there is no network
    try:
        import torchvision

        splits = {split: torchvision.datasets.FashionMNIST(root="data", train=(split == "train"), download=True)
                  for split in ("train", "test")}
        datasets["FashionMNIST"] = {
            "class_names": splits["train"].classes,
            "image_shape": (28, 28),
        }
        for split, ds in splits.items():
            # uint8 images (n, 28, 28) -> float rows in [0, 1] on DEVICE
            datasets["FashionMNIST"][f"X_{split}"] = ds.data.reshape(len(ds.data), -1).to(DEVICE, torch.float32) / 255.0
            datasets["FashionMNIST"][f"t_{split}"] = ds.targets.to(DEVICE, torch.int64)
    except Exception as err:
        lines = [line.strip() for line in str(err).splitlines() if line.strip()]
        reason = lines[-1][:100] if lines else type(err).__name__  # the last line names the cause
        print(f"FashionMNIST download failed ({reason}); using the digits data set instead.")
    finally:
        socket.setdefaulttimeout(previous_timeout)
else:
    print("USE_ONLINE_DATA is False; using the digits data set only.")

for name, data in datasets.items():
    print(f"using {name}: {len(data['t_train'])} training and {len(data['t_test'])} test examples, "
          f"D = {data['X_train'].shape[1]}, K = {len(data['class_names'])}")

# %% [markdown]
# ## 9. Training
#
# Each data set is trained with `fit_softmax_regression` on `DEVICE`. The generator
# is created on the CPU with a fixed seed, so every run visits the examples in the same
# order, on the CPU and on the GPU alike. FashionMNIST is large, so it gets only a few epochs with big batches;
# this is enough for a linear model and takes seconds on a GPU. Try other learning
# rates, batch sizes and numbers of epochs and watch the cost curves.

# %%
TRAINING = {
    "digits": {"lr": 0.5, "num_epochs": 20, "batch_size": 50},
    "FashionMNIST": {"lr": 0.2, "num_epochs": 5, "batch_size": 256},
}

results = {}
for name, data in datasets.items():
    settings = TRAINING[name]
    start = time.perf_counter()
    W, b, costs = fit_softmax_regression(data["X_train"], data["t_train"], len(data["class_names"]),
                                         generator=torch.Generator().manual_seed(0), **settings)
    if DEVICE.type == "cuda":
        torch.cuda.synchronize()  # the GPU runs queued work later: wait for it before reading the clock
    train_seconds = time.perf_counter() - start
    results[name] = {"W": W, "b": b, "costs": costs}
    print(f"{name}: {settings} -> final cost {costs[-1].item():.4f} ({train_seconds:.1f} s on {DEVICE})")

# %%
fig, axes = plt.subplots(1, len(results), figsize=(5 * len(results), 3.5), squeeze=False)
for ax, (name, res) in zip(axes[0], results.items()):
    ax.plot(res["costs"].cpu(), marker="o", markersize=3)
    ax.set_xlabel("epoch")
    ax.set_ylabel("training cost (mean cross-entropy)")
    ax.set_title(name)
    ax.grid(alpha=0.3)
plt.tight_layout()
plt.show()

# %%
def accuracy(X, t, W, b):
    """Fraction of the rows of X whose predicted class equals t."""
    return (predict_classes(X, W, b) == t).to(torch.float32).mean().item()


for name, data in datasets.items():
    W, b = results[name]["W"], results[name]["b"]
    print(f"{name}: train accuracy {accuracy(data['X_train'], data['t_train'], W, b):.3f}, "
          f"test accuracy {accuracy(data['X_test'], data['t_test'], W, b):.3f}")

# %% [markdown]
# ## 10. What the model learned
#
# Row $k$ of $\mathbf{W}$ has one weight per pixel, so it can be drawn as an image. The
# logit $z_k = \mathbf{w}_k^\top \mathbf{x} + b_k$ is large when the image is bright where
# $\mathbf{w}_k$ is positive (red) and dark where it is negative (blue): each row acts
# as a template that the input is matched against.

# %%
for name, data in datasets.items():
    W = results[name]["W"].cpu()
    limit = W.abs().max().item()
    fig, axes = plt.subplots(2, 5, figsize=(11, 4.6), layout="constrained")
    for k, ax in enumerate(axes.flat):
        image = ax.imshow(W[k].reshape(data["image_shape"]), cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(data["class_names"][k], fontsize=10)
        ax.axis("off")
    fig.colorbar(image, ax=axes, shrink=0.8, label="weight (one scale for all classes)")
    fig.suptitle(f"{name}: rows of W as images (red: positive weight, blue: negative)")
    plt.show()

# %% [markdown]
# A **confusion matrix** counts, for every pair of classes, how many test examples of
# the true class (row) were predicted as the other class (column). The diagonal holds
# the correct predictions; large off-diagonal entries show which classes the model mixes
# up.

# %%
def confusion_matrix(t, predicted, num_classes):
    """(K, K) int64 counts: entry [i, j] is the number of examples of class i predicted as j."""
    return torch.bincount(t * num_classes + predicted, minlength=num_classes ** 2).reshape(num_classes, num_classes)


for name, data in datasets.items():
    K = len(data["class_names"])
    predicted = predict_classes(data["X_test"], results[name]["W"], results[name]["b"])
    C = confusion_matrix(data["t_test"], predicted, K).cpu()
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    ax.imshow(C, cmap="Blues")
    for i in range(K):
        for j in range(K):
            ax.text(j, i, str(C[i, j].item()), ha="center", va="center", fontsize=8,
                    color="white" if C[i, j] > C.max() / 2 else "black")
    long_names = max(len(c) for c in data["class_names"]) > 2
    ax.set_xticks(range(K), data["class_names"], rotation=45 if long_names else 0, ha="right" if long_names else "center")
    ax.set_yticks(range(K), data["class_names"])
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(f"{name}: test confusion matrix (accuracy {C.diag().sum().item() / C.sum().item():.3f})")
    plt.tight_layout()
    plt.show()

# %% [markdown]
# ## 11. Questions
#
# Answer each in a few sentences (equations welcome).
#
# **Q1.** Take $K = 2$ with logits $z_1, z_2$. Show that the softmax probability of
# class 1 equals the logistic function $\sigma(z)$ of a single logit $z$, and say what
# $z$ is. What does this tell you about softmax regression with two classes compared
# with logistic regression?

# %% [markdown] tags=["answer:q1"]
# *Your answer here.*

# %% [markdown]
# **Q2.** Adding the same constant to all the logits of an example does not change its
# softmax (section 3). Use this to show that the parameters of softmax regression are
# not unique: describe a change to $\mathbf{W}$ and $\mathbf{b}$ that leaves every
# prediction unchanged. Does the same change leave the gradient-descent updates
# unchanged?

# %% [markdown] tags=["answer:q2"]
# *Your answer here.*

# %% [markdown]
# **Q3.** Instead of cross-entropy we could train with the squared error between the
# probabilities and the one-hot target, $\frac{1}{2}\lVert \mathbf{y} - \mathbf{t} \rVert^2$.
# Using what the lectures showed for the logistic function, explain why this learns
# slowly when the model is confidently wrong, and why cross-entropy does not have this
# problem.

# %% [markdown] tags=["answer:q3"]
# *Your answer here.*
