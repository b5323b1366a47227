# %% [markdown]
# Softmax regression (assignment 3) is a single fully connected layer followed by a
# softmax. In this assignment you stack several such layers, with a nonlinear
# **activation function** between them, into a **multilayer perceptron** (MLP), and you
# write backpropagation yourself. Every layer is a pair of functions:
#
# - a **forward** function that computes the layer's output and keeps a *cache* of what
#   it will need later, and
# - a **backward** function that receives the error signal on the layer's output and
#   returns the error signals on its inputs and parameters.
#
# Chaining the forward functions computes the loss; chaining the backward functions in
# the opposite order computes every gradient. With these pieces you will train MLPs on
# handwritten digits (and on FashionMNIST when the notebook can download it, on the GPU
# when there is one), look at the features the first layer learns, and measure what
# weight decay does. Along the way you will design a network for XOR by hand and time
# the backward pass against the forward pass.
#
# The graded functions, in the order you meet them (26 points):
#
# | function | points |
# | --- | --- |
# | `xor_network()` | 2 |
# | `linear_forward(X, W, b)` | 1 |
# | `linear_backward(dZ, cache)` | 3 |
# | `relu_forward(Z)` | 1 |
# | `relu_backward(dH, cache)` | 1 |
# | `sigmoid_forward(Z)` | 1 |
# | `sigmoid_backward(dH, cache)` | 1 |
# | `tanh_forward(Z)` | 1 |
# | `tanh_backward(dH, cache)` | 1 |
# | `softmax_cross_entropy_loss(Z, t)` | 3 |
# | `init_mlp(layer_sizes, generator=None)` | 2 |
# | `mlp_loss_and_gradients(X, t, params, activation="relu", weight_decay=0.0)` | 5 |
# | `train_mlp(X, t, layer_sizes, lr, num_epochs, batch_size, activation="relu", weight_decay=0.0, generator=None)` | 4 |
#
# The written questions at the end, graded by hand (9 points):
#
# | question | points |
# | --- | --- |
# | Question 1 | 2 |
# | Question 2 | 4 |
# | Question 3 | 3 |
#
# **How to work through it.** Run the setup cell first. Each graded function has a cell
# with a stub: replace the `raise NotImplementedError(...)` with your code, run the cell,
# then run the `check("name")` cell below it. A check runs public test cases on your
# function and compares your outputs with PyTorch's own implementations and your
# gradients with those computed by `torch.autograd`, in float64 and float32 and with
# extreme values. Passing the public checks is a good sign, not a guarantee: the grader
# runs more hidden cases of the same kinds.
#
# **Rules for graded functions.**
# - Gradients are derived and coded by hand. Do not use `torch.autograd`, `.backward()`,
#   `torch.func`, `torch.nn`, `torch.nn.functional`, `torch.softmax`,
#   `torch.log_softmax`, `torch.logsumexp`, `torch.sigmoid`, `torch.special`, or their
#   tensor-method versions (such as `Z.sigmoid()`). Arithmetic, `@`, reductions,
#   indexing, `torch.exp`, `torch.log`, `torch.log1p`, `torch.tanh`, `torch.clamp`,
#   `torch.where` and `torch.maximum` are all fine. A function that calls a function
#   which breaks the rule breaks it too.
# - Work for float32 and float64 on any device, and return results with the dtype and
#   device of the inputs.
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
# functions into a file `mlp.py`. The grader keeps only the imports, function
# definitions and simple constants (such as `LR = 0.1`) of what you submit and never
# runs the experiments or plots, so anything a graded function needs must live inside
# a function (or be imported). Written answers go in the cells marked *Your answer here*.

# %%
# kit: setup

# %%
import contextlib
import io
import math
import socket
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

try:  # tqdm.auto draws a notebook widget, which needs ipywidgets (Colab has it)
    import ipywidgets  # noqa: F401
    from tqdm.auto import tqdm
except ImportError:  # a plain text bar instead of tqdm.auto's "IProgress not found" warning
    from tqdm import tqdm

# Set to False to skip the FashionMNIST download and use the bundled digits only.
USE_ONLINE_DATA = True

print("torch", torch.__version__, "| device:", DEVICE)

# %% [markdown]
# ## 1. Stacked linear layers are still linear
#
# A fully connected layer with $n_{\text{in}}$ inputs and $n_{\text{out}}$ outputs computes
# $\mathbf{z} = \mathbf{W}\mathbf{x} + \mathbf{b}$ with an $n_{\text{out}} \times n_{\text{in}}$
# weight matrix. What happens if we put two of them in a row with nothing in between?
#
# $$
# \mathbf{W}^{(2)}\big(\mathbf{W}^{(1)}\mathbf{x} + \mathbf{b}^{(1)}\big) + \mathbf{b}^{(2)}
# = \underbrace{\mathbf{W}^{(2)}\mathbf{W}^{(1)}}_{\mathbf{W}'}\,\mathbf{x}
# + \underbrace{\mathbf{W}^{(2)}\mathbf{b}^{(1)} + \mathbf{b}^{(2)}}_{\mathbf{b}'} .
# $$
#
# The composition is again one linear layer, with $\mathbf{W}' = \mathbf{W}^{(2)}\mathbf{W}^{(1)}$.
# By induction the same holds for any number of linear layers: a deep *linear* network
# can represent exactly the functions that a single layer can, so it is no more
# expressive than the linear models of the previous assignments. (It can still be
# useful, for example to force a low-rank $\mathbf{W}'$, but it does not add new
# functions.)
#
# In code we keep one example per row of `X`, so a layer is `Z = X @ W.T + b`; the cell
# below checks the identity numerically, then shows that a ReLU between the two layers
# breaks it.

# %%
gen = torch.Generator().manual_seed(0)
X_demo = torch.randn(6, 4, generator=gen, dtype=torch.float64)
W1_demo, b1_demo = torch.randn(5, 4, generator=gen, dtype=torch.float64), torch.randn(5, generator=gen, dtype=torch.float64)
W2_demo, b2_demo = torch.randn(3, 5, generator=gen, dtype=torch.float64), torch.randn(3, generator=gen, dtype=torch.float64)

two_layers = (X_demo @ W1_demo.T + b1_demo) @ W2_demo.T + b2_demo
W_merged = W2_demo @ W1_demo              # (3, 5) @ (5, 4) -> (3, 4)
b_merged = W2_demo @ b1_demo + b2_demo    # (3,)
one_layer = X_demo @ W_merged.T + b_merged
print(f"W' = W2 W1 has shape {tuple(W_merged.shape)}")
print(f"two linear layers vs one merged layer: largest difference {(two_layers - one_layer).abs().max():.1e}")

with_relu = torch.clamp(X_demo @ W1_demo.T + b1_demo, min=0) @ W2_demo.T + b2_demo
print(f"with a ReLU in between:               largest difference {(with_relu - one_layer).abs().max():.1e}")

# %% [markdown]
# ## 2. XOR by hand
#
# The exclusive or of two bits is 1 when exactly one of them is 1. Its four input points
# $(0,0), (0,1), (1,0), (1,1)$ cannot be split by a straight line into the two classes, so
# no linear classifier computes it, and by section 1 neither does any stack of linear
# layers. One hidden layer with a nonlinearity is enough, though. Here we use the
# **hard threshold** activation
#
# $$ \phi(z) = \begin{cases} 1 & \text{if } z > 0, \\ 0 & \text{if } z \le 0, \end{cases} $$
#
# in a 2-2-1 network: $\mathbf{h} = \phi(\mathbf{W}^{(1)}\mathbf{x} + \mathbf{b}^{(1)})$ with two
# hidden units and $y = \phi(\mathbf{W}^{(2)}\mathbf{h} + \mathbf{b}^{(2)})$.
#
# A single threshold unit fires on one side of the line $\mathbf{w}^\top\mathbf{x} + b = 0$, so
# each hidden unit cuts the unit square in two. Ask yourself which simple logical
# functions of $x_1, x_2$ a single unit can compute (AND, OR, NOT, NAND, ...) and how XOR
# can be written with two of them feeding a third.
#
# ### `xor_network()`
#
# Return float32 tensors `{"W1": (2, 2), "b1": (2,), "W2": (1, 2), "b2": (1,)}` (weights
# stored as (outputs, inputs), as everywhere in this course) such that the network above
# outputs $x_1 \oplus x_2$ on all four inputs. Avoid weights that put an input exactly on
# a threshold ($z = 0$); leave some margin.

# %%
# kit: function xor_network

# %%
check("xor_network")

# %%
def hard_threshold(Z):
    """1 where Z > 0 and 0 elsewhere, in the dtype of Z (not differentiable: not for training)."""
    return (Z > 0).to(Z.dtype)


xor_params = xor_network()
X_xor = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
H_xor = hard_threshold(X_xor @ xor_params["W1"].T + xor_params["b1"])
Y_xor = hard_threshold(H_xor @ xor_params["W2"].T + xor_params["b2"])

print("x1 x2 | h1 h2 | y  x1 XOR x2")
for x, h, y in zip(X_xor.int().tolist(), H_xor.int().tolist(), Y_xor.int().tolist()):
    print(f" {x[0]}  {x[1]} |  {h[0]}  {h[1]} | {y[0]}  {x[0] ^ x[1]}")

# %% [markdown]
# Hand design does not scale, and a hard threshold cannot be learned by gradient
# descent: its derivative is 0 everywhere except at $z = 0$, where it does not exist, so
# no error signal gets through it. Smooth or piecewise-linear activations (logistic,
# tanh, ReLU) fix this, and backpropagation computes the gradients we need to learn the
# weights instead of designing them.
#
# ## 3. Backpropagation: error signals flowing backwards
#
# A network is a composition of layers, $\mathbf{y} = f^{(L)} \circ \dots \circ f^{(1)}(\mathbf{x})$,
# and its loss is a long chain of computations. Following the lectures, write
#
# $$ \bar{v} = \frac{\partial \mathcal{L}}{\partial v} $$
#
# for the derivative of the final loss with respect to any intermediate value $v$, and
# call it the **error signal** at $v$. The bar is just a name for a number (or tensor)
# that the program computes, one per value of the forward pass, with the shape of that
# value. Backpropagation visits the computation graph in reverse: it starts from
# $\bar{\mathcal{L}} = 1$ and, at each node, turns the error signal on the node's output
# into error signals on its inputs with the chain rule. When a value feeds several
# others (fan-out), the multivariate chain rule adds up the messages coming back from
# each of them.
#
# **A two-layer MLP on a batch.** One example per row: $\mathbf{X}$ is $N \times n_0$,
# the targets are one-hot rows $\mathbf{T}$ ($N \times K$), $\phi$ is the activation
# applied elementwise, and $\lambda$ the weight decay (section 8). The forward pass is
#
# $$
# \begin{aligned}
# \mathbf{Z}_1 &= \mathbf{X}\mathbf{W}_1^\top + \mathbf{1}\mathbf{b}_1^\top & (N \times n_1)\\
# \mathbf{H} &= \phi(\mathbf{Z}_1) & (N \times n_1)\\
# \mathbf{Z}_2 &= \mathbf{H}\mathbf{W}_2^\top + \mathbf{1}\mathbf{b}_2^\top & (N \times K)\\
# \mathbf{Y} &= \operatorname{softmax}(\mathbf{Z}_2) \text{ row by row} & (N \times K)\\
# \mathcal{L} &= -\frac{1}{N}\sum_{i=1}^{N} \log Y_{i, t_i}, \qquad
# \mathcal{R} = \tfrac{1}{2}\big(\lVert\mathbf{W}_1\rVert^2 + \lVert\mathbf{W}_2\rVert^2\big), \qquad
# \mathcal{L}_{\text{reg}} = \mathcal{L} + \lambda\mathcal{R} .
# \end{aligned}
# $$
#
# The backward pass visits the same values in reverse order:
#
# $$
# \begin{aligned}
# \overline{\mathcal{L}_{\text{reg}}} &= 1, \qquad \bar{\mathcal{L}} = \overline{\mathcal{L}_{\text{reg}}} = 1, \qquad \bar{\mathcal{R}} = \lambda\,\overline{\mathcal{L}_{\text{reg}}} = \lambda \\
# \bar{\mathbf{Z}}_2 &= \tfrac{1}{N}(\mathbf{Y} - \mathbf{T}) & (N \times K)\\
# \bar{\mathbf{W}}_2 &= \bar{\mathbf{Z}}_2^\top \mathbf{H} + \bar{\mathcal{R}}\,\mathbf{W}_2, \qquad
# \bar{\mathbf{b}}_2 = \bar{\mathbf{Z}}_2^\top \mathbf{1} & (K \times n_1),\ (K)\\
# \bar{\mathbf{H}} &= \bar{\mathbf{Z}}_2 \mathbf{W}_2 & (N \times n_1)\\
# \bar{\mathbf{Z}}_1 &= \bar{\mathbf{H}} \circ \phi'(\mathbf{Z}_1) & (N \times n_1)\\
# \bar{\mathbf{W}}_1 &= \bar{\mathbf{Z}}_1^\top \mathbf{X} + \bar{\mathcal{R}}\,\mathbf{W}_1, \qquad
# \bar{\mathbf{b}}_1 = \bar{\mathbf{Z}}_1^\top \mathbf{1} & (n_1 \times n_0),\ (n_1)
# \end{aligned}
# $$
#
# where $\circ$ is the elementwise product. Compare with the lecture's version for a
# single example with column vectors, $\bar{\mathbf{W}}^{(2)} = \bar{\mathbf{y}}\,\mathbf{h}^\top$
# and $\bar{\mathbf{h}} = \mathbf{W}^{(2)\top}\bar{\mathbf{y}}$: with examples as rows the outer
# product becomes $\bar{\mathbf{Z}}_2^\top\mathbf{H}$, which *sums* the per-example outer
# products, because the same weights are used by every example (fan-out again). Each
# weight matrix also feeds the regulariser $\mathcal{R}$, so its error signal collects a
# second message, $\bar{\mathcal{R}}\,\mathbf{W}$.
#
# Notice how local every line is. The update for a layer needs only the error signal
# arriving from above and values the layer itself saw in the forward pass. That is the
# modularity behind the forward/backward pairs you write next: `linear_backward` does
# not know whether a ReLU or the loss sits above it. In code, `dZ` stands for
# $\bar{\mathbf{Z}}$, `dW` for $\bar{\mathbf{W}}$, and so on.
#
# ## 4. The fully connected layer
#
# For input rows $\mathbf{X}$ ($N \times D_{\text{in}}$), weights $\mathbf{W}$
# ($D_{\text{out}} \times D_{\text{in}}$) and biases $\mathbf{b}$ ($D_{\text{out}}$), entry
# by entry $Z_{ik} = \sum_j X_{ij} W_{kj} + b_k$. Each $X_{ij}$ feeds every output unit
# $k$, and each $W_{kj}$ and $b_k$ feeds every example $i$, so the chain rule sums over
# those:
#
# $$
# \bar{X}_{ij} = \sum_k \bar{Z}_{ik} W_{kj}, \qquad
# \bar{W}_{kj} = \sum_i \bar{Z}_{ik} X_{ij}, \qquad
# \bar{b}_k = \sum_i \bar{Z}_{ik},
# $$
#
# that is, $\bar{\mathbf{X}} = \bar{\mathbf{Z}}\mathbf{W}$, $\bar{\mathbf{W}} = \bar{\mathbf{Z}}^\top\mathbf{X}$
# and $\bar{\mathbf{b}} = \bar{\mathbf{Z}}^\top\mathbf{1}$. A handy check: every error signal
# has the shape of its variable, and there is usually only one way to multiply the
# available matrices to get that shape.
#
# ### `linear_forward(X, W, b)` and `linear_backward(dZ, cache)`
#
# - `linear_forward` returns `(Z, cache)` with `Z = X @ W.T + b` of shape
#   `(N, D_out)`. The cache is a tuple of tensors: keep what the backward pass needs.
# - `linear_backward` takes `dZ` `(N, D_out)` and that cache and returns `(dX, dW, db)`
#   with shapes `(N, D_in)`, `(D_out, D_in)` and `(D_out,)`.

# %%
# kit: function linear_forward linear_backward

# %%
check("linear_forward")

# %%
check("linear_backward")

# %% [markdown]
# ## 5. Activation functions
#
# An activation layer applies $\phi$ to every entry, $\mathbf{H} = \phi(\mathbf{Z})$, so
# each $H_{ij}$ depends only on $Z_{ij}$ and the backward pass is an elementwise product:
# $\bar{\mathbf{Z}} = \bar{\mathbf{H}} \circ \phi'(\mathbf{Z})$. The forward function caches
# whatever makes $\phi'$ cheap to compute.
#
# ### ReLU
#
# The rectified linear unit $\phi(z) = \max(0, z)$ has derivative 1 for $z > 0$ and 0 for
# $z < 0$: the backward pass lets the error signal through where the unit was active and
# blocks it elsewhere. At exactly $z = 0$ it has no derivative; either 0 or 1 is
# accepted. Write `relu_forward(Z) -> (H, cache)` and `relu_backward(dH, cache) -> dZ`,
# all of the shape of `Z`.

# %%
# kit: function relu_forward relu_backward

# %%
check("relu_forward")

# %%
check("relu_backward")

# %% [markdown]
# ### Logistic sigmoid
#
# $\sigma(z) = \dfrac{1}{1 + e^{-z}}$, with derivative $\sigma'(z) = \sigma(z)\,\big(1 - \sigma(z)\big)$,
# so the output is all the backward pass needs. As in assignment 2, the literal formula
# overflows: in float32, $e^{-z}$ is `inf` for $z < -88.7$. Use the equivalent form
# $\sigma(z) = \dfrac{e^{z}}{1 + e^{z}}$ for negative $z$ (both forms then only ever
# exponentiate $-|z|$), and pick between them elementwise with `torch.where`. Write
# `sigmoid_forward(Z) -> (H, cache)` and `sigmoid_backward(dH, cache) -> dZ`.

# %%
# kit: function sigmoid_forward sigmoid_backward

# %%
check("sigmoid_forward")

# %%
check("sigmoid_backward")

# %% [markdown]
# ### Hyperbolic tangent
#
# $\tanh(z) = \dfrac{e^{z} - e^{-z}}{e^{z} + e^{-z}} = 2\sigma(2z) - 1$, a rescaled sigmoid
# with outputs in $(-1, 1)$ centred at 0. Its derivative is $1 - \tanh^2(z)$. Here you may
# use `torch.tanh`, which is already stable. Write `tanh_forward(Z) -> (H, cache)` and
# `tanh_backward(dH, cache) -> dZ`.

# %%
# kit: function tanh_forward tanh_backward

# %%
check("tanh_forward")

# %%
check("tanh_backward")

# %% [markdown]
# ### Comparing the activations
#
# The plot below uses *your* functions. Calling a backward function with
# $\bar{\mathbf{H}} = \mathbf{1}$ returns $\phi'(\mathbf{Z})$ itself, so the right panel shows the
# derivatives your backward passes compute.

# %%
z_grid = torch.linspace(-6, 6, 601, dtype=torch.float64)
activations = [("ReLU", relu_forward, relu_backward),
               ("sigmoid", sigmoid_forward, sigmoid_backward),
               ("tanh", tanh_forward, tanh_backward)]

fig, (ax_f, ax_d) = plt.subplots(1, 2, figsize=(11, 3.8))
for name, forward, backward in activations:
    H, cache = forward(z_grid)
    ax_f.plot(z_grid, H, label=name)
    ax_d.plot(z_grid, backward(torch.ones_like(z_grid), cache), label=name)
ax_f.set_title(r"activation $\phi(z)$")
ax_d.set_title(r"derivative $\phi'(z)$ from the backward pass")
for ax in (ax_f, ax_d):
    ax.axhline(0, color="gray", linewidth=0.5)
    ax.axvline(0, color="gray", linewidth=0.5)
    ax.set_xlabel("z")
    ax.legend()
ax_f.set_ylim(-1.2, 3)
plt.tight_layout()
plt.show()

z_points = torch.tensor([0.0, 2.0, 5.0, 10.0], dtype=torch.float64)
print("derivative at z =    " + "".join(f"{z:>10.0f}" for z in z_points.tolist()))
for name, forward, backward in activations:
    _, cache = forward(z_points)
    print(f"{name:>18s}   " + "".join(f"{d:10.2e}" for d in backward(torch.ones_like(z_points), cache).tolist()))

# %% [markdown]
# The sigmoid and tanh **saturate**: for large $|z|$ they are flat, their derivatives
# decay exponentially in $|z|$, and a unit stuck there passes almost no error signal
# back, so the weights feeding it barely change. Even at its best ($z = 0$) the sigmoid's
# derivative is only $1/4$, so the activation step of each sigmoid layer,
# $\bar{\mathbf{Z}} = \bar{\mathbf{H}} \circ \phi'(\mathbf{Z})$, multiplies every entry of the
# error signal by at most $1/4$. That bounds the activation step, not the whole layer:
# the linear step that follows, $\bar{\mathbf{H}} = \bar{\mathbf{Z}}\mathbf{W}$, can make the
# signal larger or smaller again, depending on the weights. With weights of the usual
# initial size, the error signal still tends to shrink through a stack of sigmoid layers.
#
# ReLU does not saturate for $z > 0$ (its derivative is exactly 1), which is one reason
# it is the usual default for hidden layers; the price is that a unit with $z < 0$ on
# every example receives no error signal at all and may stay inactive ("dead").
#
# ## 6. The output layer: softmax cross-entropy
#
# The last layer produces logits $\mathbf{Z}$ ($N \times K$). As in assignment 3, the loss is
#
# $$
# \mathcal{L} = \frac{1}{N}\sum_{i=1}^{N} -\log \operatorname{softmax}(\mathbf{z}_i)_{t_i}
# = \frac{1}{N}\sum_{i=1}^{N}\Big(\log\sum_k e^{Z_{ik} - m_i} - (Z_{i t_i} - m_i)\Big),
# \qquad m_i = \max_k Z_{ik},
# $$
#
# computed in the shifted (max trick, log-sum-exp) form so that nothing overflows and no
# log of 0 appears. For one example the lectures showed
# $\partial\mathcal{L}_{\text{CE}}/\partial\mathbf{z} = \mathbf{y} - \mathbf{t}$; averaging over
# the batch divides by $N$:
#
# $$ \bar{\mathbf{Z}} = \frac{1}{N}(\mathbf{Y} - \mathbf{T}), \qquad \mathbf{Y} = \operatorname{softmax}(\mathbf{Z}). $$
#
# This is where the backward pass starts, so the loss layer returns its gradient
# together with its value.
#
# ### `softmax_cross_entropy_loss(Z, t)`
#
# Takes logits `Z` `(N, K)` and int64 class indices `t` `(N,)`; returns `(loss, dZ)` with
# `loss` a 0-dim tensor and `dZ` of shape `(N, K)`, **including** the $1/N$. Compute the
# probabilities from the shifted logits too; the check includes logits of size $10^4$ in
# float32. Hint: `Y[torch.arange(N), t]` picks one entry per row.

# %%
# kit: function softmax_cross_entropy_loss

# %%
check("softmax_cross_entropy_loss")

# %%
Z_huge = torch.tensor([[1e4, 0.0, -1e4], [0.0, 1e4, 1e4]])  # float32
loss_huge, dZ_huge = softmax_cross_entropy_loss(Z_huge, torch.tensor([2, 1]))
print("loss:", loss_huge.item(), "\ndZ:\n", dZ_huge)

# %% [markdown]
# ## 7. Initialisation
#
# Where do the weights start? Not at zero, and not all equal: if two hidden units start
# with the same weights they compute the same output, receive the same error signal and
# get the same update, so they stay identical forever. Random weights break this
# symmetry.
#
# The scale matters too. A unit computes $z = \sum_{j=1}^{n_{\text{in}}} w_j h_j$, a sum of
# $n_{\text{in}}$ terms. With independent zero-mean weights of variance $v$,
# $\operatorname{Var}(z) = n_{\text{in}}\, v\, \mathbb{E}[h^2]$. To keep activations (and, by
# the same argument backwards, error signals) roughly the same size from layer to layer,
# choose $v \propto 1/n_{\text{in}}$, the fan-in. A ReLU zeroes about half of its inputs,
# which halves $\mathbb{E}[h^2]$; **He initialisation** makes up for it with
# $v = 2/n_{\text{in}}$. Biases can start at zero, since the random weights already break
# the symmetry.
#
# ### `init_mlp(layer_sizes, generator=None)`
#
# For `layer_sizes = [n_0, n_1, ..., n_L]` return a dict with `"W1"` `(n_1, n_0)`, `"b1"`
# `(n_1,)`, ..., `"WL"`, `"bL"`: weights
# `torch.randn(n_l, n_{l-1}, generator=generator, ...) * math.sqrt(2 / n_{l-1})` (a
# variance of $1/n_{\text{in}}$ is accepted too), biases zero, all float32 on the
# generator's device (`generator.device`), or on the CPU when `generator` is `None`.
# Passing the generator to every `torch.randn` makes the same seed give the same
# parameters.

# %%
# kit: function init_mlp

# %%
check("init_mlp")

# %% [markdown]
# What goes wrong with other scales? The cell below pushes random inputs through ten
# ReLU layers of width 256 with your `init_mlp` weights, and with the same weights
# rescaled to standard deviation 1 and 0.01, and prints the spread of the activations at
# every layer.

# %%
depth, width = 10, 256
deep_params = init_mlp([width] * (depth + 1), torch.Generator().manual_seed(0))
H_in = torch.randn(512, width, generator=torch.Generator().manual_seed(1))
scales = {"init_mlp": 1.0,
          "std 1": 1.0 / math.sqrt(2 / width),       # undo the He factor: unit-variance weights
          "std 0.01": 0.01 / math.sqrt(2 / width)}
print("layer " + "".join(f"{name:>12s}" for name in scales))
spreads = {name: [] for name in scales}
for name, factor in scales.items():
    H = H_in
    for l in range(1, depth + 1):
        Z, _ = linear_forward(H, factor * deep_params[f"W{l}"], deep_params[f"b{l}"])
        H, _ = relu_forward(Z)
        spreads[name].append(H.std().item())
for l in range(depth):
    print(f"{l + 1:5d} " + "".join(f"{spreads[name][l]:12.2e}" for name in scales))

# %% [markdown]
# With unit-variance weights the activations grow by a factor of about
# $\sqrt{n_{\text{in}}/2} \approx 11$ per layer; with tiny weights they shrink towards 0
# (and so do the error signals on the way back). The fan-in scaling keeps them steady.
#
# ## 8. The whole network: loss and gradients
#
# Now put the layers together for any number of layers $L$. With $\mathbf{H}_0 = \mathbf{X}$,
#
# $$
# \mathbf{Z}_l = \mathbf{H}_{l-1}\mathbf{W}_l^\top + \mathbf{1}\mathbf{b}_l^\top,\qquad
# \mathbf{H}_l = \phi(\mathbf{Z}_l) \quad (l < L),
# $$
#
# and $\mathbf{Z}_L$ are the logits: the last layer has no activation, the softmax
# cross-entropy plays that role. **Weight decay** (L2 regularisation) adds a penalty on
# the size of the weights,
#
# $$ \mathcal{L}_{\text{reg}} = \mathcal{L} + \frac{\lambda}{2}\sum_{l=1}^{L}\lVert\mathbf{W}_l\rVert^2, \qquad
# \lVert\mathbf{W}\rVert^2 = \sum_{k,j} W_{kj}^2, $$
#
# (biases are not penalised) and, as in section 3, adds $\lambda\mathbf{W}_l$ to each weight's
# error signal.
#
# ### `mlp_loss_and_gradients(X, t, params, activation="relu", weight_decay=0.0)`
#
# - `X` `(N, n_0)`, `t` int64 `(N,)`, `params` as returned by `init_mlp` (in the dtype and
#   device of `X`); the number of layers is `L = len(params) // 2`.
# - `activation` is `"relu"`, `"sigmoid"` or `"tanh"` (used by every hidden layer);
#   anything else raises a `ValueError` with a message that names the bad value.
# - Returns `(loss, grads)`: the 0-dim regularised loss and a dict with the same keys
#   and shapes as `params`.
#
# Build it from your layers: a forward loop that calls `linear_forward` and the
# activation's forward function and keeps every cache in a list, then
# `softmax_cross_entropy_loss`, then a backward loop from layer $L$ down to 1 that calls
# the backward functions with those caches. Do not modify `params`.

# %%
# kit: function mlp_loss_and_gradients

# %%
check("mlp_loss_and_gradients")

# %% [markdown]
# ## 9. Checking gradients against `torch.autograd`
#
# Every `check(...)` so far compared your gradients with PyTorch's automatic
# differentiation. It is worth seeing how such a comparison works, because it is the
# quickest way to test any gradient you derive by hand:
#
# 1. build the *same* loss from ordinary torch operations, on copies of the parameters
#    created with `requires_grad_(True)`;
# 2. ask `torch.autograd.grad(loss, [tensors])` for the gradients;
# 3. compare in float64, where a correct implementation agrees to about $10^{-12}$ and a
#    wrong one is off by far more.
#
# Autograd is allowed here because this cell only *tests* your code; graded functions
# must not use it. (Before automatic differentiation, the standard test was finite
# differences, $(\mathcal{L}(w + \epsilon) - \mathcal{L}(w - \epsilon)) / 2\epsilon$, one
# parameter at a time.)

# %%
sizes_small = [5, 7, 6, 3]
gen = torch.Generator().manual_seed(0)
X_small = torch.randn(9, 5, generator=gen, dtype=torch.float64)
t_small = torch.randint(0, 3, (9,), generator=gen)
params_small = {k: v.double() for k, v in init_mlp(sizes_small, gen).items()}
for k in params_small:
    if k.startswith("b"):  # non-zero biases make the test stronger
        params_small[k] = 0.1 * torch.randn(params_small[k].shape, generator=gen, dtype=torch.float64)

torch_activations = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}
weight_decay_small = 0.1
L_small = len(sizes_small) - 1
for activation, phi in torch_activations.items():
    loss, grads = mlp_loss_and_gradients(X_small, t_small, params_small, activation, weight_decay_small)

    leaves = {k: v.clone().requires_grad_(True) for k, v in params_small.items()}
    H = X_small
    for l in range(1, L_small + 1):
        H = H @ leaves[f"W{l}"].T + leaves[f"b{l}"]
        if l < L_small:
            H = phi(H)
    torch_loss = torch.nn.functional.cross_entropy(H, t_small) \
        + weight_decay_small / 2 * sum((leaves[f"W{l}"] ** 2).sum() for l in range(1, L_small + 1))
    torch_grads = dict(zip(leaves, torch.autograd.grad(torch_loss, list(leaves.values()))))

    diffs = "  ".join(f"{k} {(grads[k] - torch_grads[k]).abs().max():.0e}" for k in leaves)
    print(f"{activation:>7s}: loss {abs(loss - torch_loss).item():.0e}  {diffs}")

# %% [markdown]
# ## 10. What does the backward pass cost?
#
# The lectures count arithmetic: the forward pass of a fully connected layer does one
# add-multiply per weight (per example), for $z_i = \sum_j w_{ij}x_j + b_i$, while the
# backward pass does two, one for $\bar{w}_{ij} = \bar{z}_i x_j$ and one for
# $\bar{x}_j = \sum_i \bar{z}_i w_{ij}$. So backpropagation should cost about **twice** the
# forward pass, and the whole cost of a gradient is linear in the number of layers and
# quadratic in their width.
#
# The cell below measures this with your functions on a 784-256-10 ReLU network, for
# several batch sizes. Each pass is timed 20 times, alternating forward and backward,
# and we keep the fastest time of each: other programs on the machine can only ever add
# time, so the fastest run is the one closest to the cost of the work itself. On
# a GPU, operations are queued and run asynchronously, so reading a clock after the call
# would time only the queueing: `time_call` records CUDA events before and after the
# work and waits for them (`torch.cuda.synchronize()`) before reading the time between
# them.

# %%
def time_call(fn):
    """Seconds that one call fn() takes on DEVICE (CUDA events on a GPU, a wall clock on the CPU)."""
    if DEVICE.type == "cuda":
        begin, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        begin.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        return begin.elapsed_time(end) / 1e3  # elapsed_time is in milliseconds
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def forward_and_backward_seconds(batch_size, repeats=20):
    """Fastest seconds of the forward and of the backward pass of a 784-256-10 ReLU MLP on one batch."""
    params = {k: v.to(DEVICE) for k, v in init_mlp([784, 256, 10], torch.Generator().manual_seed(0)).items()}
    X = torch.rand(batch_size, 784, device=DEVICE)
    t = torch.randint(0, 10, (batch_size,), device=DEVICE)

    def forward_pass():
        Z1, linear1 = linear_forward(X, params["W1"], params["b1"])
        H1, relu1 = relu_forward(Z1)
        Z2, linear2 = linear_forward(H1, params["W2"], params["b2"])
        loss, dZ2 = softmax_cross_entropy_loss(Z2, t)
        return linear1, relu1, linear2, dZ2

    def backward_pass(caches):
        linear1, relu1, linear2, dZ2 = caches
        dH1, dW2, db2 = linear_backward(dZ2, linear2)
        dZ1 = relu_backward(dH1, relu1)
        dX, dW1, db1 = linear_backward(dZ1, linear1)

    caches = forward_pass()
    for _ in range(3):  # warm-up: the first calls pay one-off setup costs
        backward_pass(forward_pass())
    forward_times, backward_times = [], []
    for _ in range(repeats):
        forward_times.append(time_call(forward_pass))
        backward_times.append(time_call(lambda: backward_pass(caches)))
    return min(forward_times), min(backward_times)


timing_batch_sizes = [1024, 8192, 65536] if DEVICE.type == "cuda" else [256, 1024, 4096]
timing_ratios = []
print(f"on {DEVICE}:")
for batch_size in timing_batch_sizes:
    t_forward, t_backward = forward_and_backward_seconds(batch_size)
    timing_ratios.append(t_backward / t_forward)
    print(f"  batch {batch_size:6d}: forward {1e3 * t_forward:8.3f} ms, backward {1e3 * t_backward:8.3f} ms, "
          f"backward / forward = {t_backward / t_forward:.2f}")

fig, ax = plt.subplots(figsize=(5, 3.2))
ax.plot(timing_batch_sizes, timing_ratios, "o-", label="measured")
ax.axhline(2, color="gray", linestyle="--", label="count of add-multiplies: 2")
ax.set_xscale("log")
ax.set_xticks(timing_batch_sizes, [str(size) for size in timing_batch_sizes])
ax.minorticks_off()
ax.set_ylim(0, max(2.5, 1.1 * max(timing_ratios)))
ax.set_xlabel("batch size")
ax.set_ylabel("backward time / forward time")
ax.set_title(f"784-256-10 ReLU MLP on {DEVICE.type}")
ax.legend()
plt.show()

# %% [markdown]
# The count of add-multiplies predicts 2 when the matrix products take nearly all the
# time, and that needs large enough products. At small batches they do not: each pass
# is a handful of operations, each with a fixed cost however little work it does (on a
# GPU, launching a kernel takes several microseconds, and the two passes launch a
# similar number of them), so the ratio comes out nearer 1. On an H200, this network at
# a batch of 8192 measured 0.82: each pass's arithmetic takes the GPU only tens of
# microseconds, about as long as launching its kernels. As the batch grows, the
# arithmetic takes over and the ratio moves towards 2; that is why a GPU gets batches up
# to 65,536 here. A CPU has little fixed cost per operation, so there the ratio is near
# 2 at most sizes (on the kit's 2-core test machine, between 1.6 and 2.3 over several
# runs, lowest at the smallest batch). It can come out above 2: the backward products
# multiply by transposed matrices and write the large $\bar{\mathbf{X}}$, which can run
# at fewer add-multiplies per second than the forward product, and a CPU busy with other
# programs adds noise (run the cell again and compare). The rule of thumb counts
# arithmetic, not seconds. (The backward pass above also computes $\bar{\mathbf{X}}$,
# the error signal on the input images, which training never uses; question 2 asks
# about it.)
#
# ## 11. Training with mini-batch SGD
#
# ### `train_mlp(X, t, layer_sizes, lr, num_epochs, batch_size, activation="relu", weight_decay=0.0, generator=None)`
#
# Mini-batch stochastic gradient descent, as in assignment 3, with the MLP's gradients:
#
# 1. start from `init_mlp(layer_sizes, generator)`, moved to the dtype and device of `X`
#    (`.to(device=X.device, dtype=X.dtype)`);
# 2. for each epoch, draw the order of the examples (below) and walk through it in
#    consecutive batches of `batch_size` (the last one may be smaller); after each
#    batch, update every parameter
#    $\theta \leftarrow \theta - \alpha\,\bar{\theta}$ with the gradients of
#    `mlp_loss_and_gradients` on that batch (same `activation` and `weight_decay`);
# 3. return `(params, costs)`, where `costs` is a 1-D tensor of length `num_epochs + 1`:
#    the full objective (mean cross-entropy plus the weight-decay term) on all of
#    `(X, t)`, before training and after each epoch, in the dtype and device of `X`.
#
# The order of the examples: every epoch draws a new order and visits every example
# once in it. Draw it from `generator` with `torch.randperm(N, generator=generator,
# device=generator.device)`, then move it to `X`'s device. With `generator=None` (the
# default) the same call without a generator, `torch.randperm(N)`, draws it on the CPU
# from PyTorch's global random number generator (seeded by `torch.manual_seed`); the
# checks accept any order then, as long as every epoch draws a new one.
#
# `check("train_mlp")` runs three cases: one with a seeded generator, one with
# `generator=None` in float32, and one with weight decay and `batch_size` larger than `N`
# (one short batch per epoch). In the first two the examples are arranged by class so
# that one particular order meets the classes one after another (the order of the rows,
# or the first order `torch.randperm` draws from the case's generator after `init_mlp`'s
# draws): an epoch in that order ends on a long run of one class and pulls the network
# towards it. Training that draws a new order every epoch meets it at most once and
# recovers; training that never shuffles, or shuffles only once (with `torch.randperm` as
# above) before the first epoch, fails.
#
# Two things keep it fast: avoid `.item()` or `print` inside the batch loop (on a GPU
# each one waits for all queued work to finish), and compute the per-epoch cost with a
# forward pass only, since its gradients are not needed. Updating your own parameter
# tensors in place (`p.sub_(lr * g)`) is fine; `params[k] = params[k] - lr * grads[k]` is
# always safe. Never modify `X` or `t`.

# %%
# kit: function train_mlp

# %%
check("train_mlp")

# %% [markdown]
# ### Handwritten digits
#
# scikit-learn ships 1,797 handwritten digits as 8×8 images with pixel values 0 to 16:
# $n_0 = 64$ inputs after flattening, $K = 10$ classes. We scale the pixels to $[0, 1]$,
# keep 30% of the images for testing, and move everything to `DEVICE`. The helper below
# turns logits into predicted classes with your forward functions.

# %%
digits = load_digits()
X_tr, X_te, t_tr, t_te = train_test_split(digits.data / 16.0, digits.target, test_size=0.3,
                                          random_state=0, stratify=digits.target)
X_train = torch.tensor(X_tr, dtype=torch.float32, device=DEVICE)
t_train = torch.tensor(t_tr, dtype=torch.int64, device=DEVICE)
X_test = torch.tensor(X_te, dtype=torch.float32, device=DEVICE)
t_test = torch.tensor(t_te, dtype=torch.int64, device=DEVICE)
print(f"digits: {len(t_train)} training and {len(t_test)} test images of {X_train.shape[1]} pixels")


def mlp_accuracy(X, t, params, activation="relu"):
    """Fraction of rows of X whose most probable class (by your forward pass) is t."""
    act_forward = {"relu": relu_forward, "sigmoid": sigmoid_forward, "tanh": tanh_forward}[activation]
    num_layers = sum(1 for key in params if key.startswith("W"))
    out = X
    for layer in range(1, num_layers + 1):
        out = linear_forward(out, params["W%d" % layer], params["b%d" % layer])[0]
        if layer < num_layers:
            out = act_forward(out)[0]
    return (out.argmax(dim=1) == t).float().mean().item()


# %% [markdown]
# A 64-128-10 network, trained with each of the three activations and the same
# settings:

# %%
DIGITS_TRAINING = {"layer_sizes": [64, 128, 10], "lr": 0.1, "num_epochs": 40, "batch_size": 32}

fig, ax = plt.subplots(figsize=(7, 4))
for activation in ["relu", "tanh", "sigmoid"]:
    start = time.perf_counter()
    params, costs = train_mlp(X_train, t_train, activation=activation,
                              generator=torch.Generator().manual_seed(0), **DIGITS_TRAINING)
    if DEVICE.type == "cuda":
        torch.cuda.synchronize()  # the GPU runs queued work later: wait for it before reading the clock
    train_seconds = time.perf_counter() - start
    print(f"{activation:>7s}: final cost {costs[-1]:.3f}, train accuracy {mlp_accuracy(X_train, t_train, params, activation):.3f}, "
          f"test accuracy {mlp_accuracy(X_test, t_test, params, activation):.3f}  ({train_seconds:.1f} s)")
    ax.plot(costs.cpu(), label=activation)
ax.set_xlabel("epoch")
ax.set_ylabel("training cost")
ax.set_yscale("log")
ax.set_title("64-128-10 MLP on digits")
ax.legend()
plt.show()

# %% [markdown]
# With the same learning rate the sigmoid network learns the slowest: its derivative is
# at most 1/4 and its outputs are not centred at 0, so its error signals and updates
# are smaller. A larger learning rate would help it; try it.
#
# ## 12. A bigger data set, with a progress bar
#
# FashionMNIST has 70,000 grey-scale 28×28 images ($n_0 = 784$) of ten kinds of clothing,
# split into 60,000 for training and 10,000 for testing. The cell below downloads it with
# torchvision when `USE_ONLINE_DATA` is true and the network allows. Otherwise (offline,
# or with `USE_ONLINE_DATA = False`) the rest of the notebook uses the digits again, and
# so that this section does not simply repeat section 11's run, it trains a deeper
# network on them: 64-256-128-10, two hidden layers.

# %%
big = None
if USE_ONLINE_DATA:
    previous_timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(10)  # give up quickly when there is no network
    try:
        import torchvision

        with contextlib.redirect_stdout(io.StringIO()):  # keep torchvision's download chatter out
            splits = {train: torchvision.datasets.FashionMNIST(root="data", train=train, download=True)
                      for train in (True, False)}
        big = {"name": "FashionMNIST", "image_shape": (28, 28), "classes": splits[True].classes}
        for part, is_train in (("train", True), ("test", False)):
            images = splits[is_train].data  # uint8 (n, 28, 28) -> float rows in [0, 1] on DEVICE
            big[f"X_{part}"] = images.reshape(len(images), -1).to(DEVICE, torch.float32) / 255.0
            big[f"t_{part}"] = splits[is_train].targets.to(DEVICE, torch.int64)
    except Exception as error:
        reason = (str(error).strip().splitlines() or [type(error).__name__])[-1][:100]
        print(f"Could not download FashionMNIST ({reason}); using the digits data instead.")
    finally:
        socket.setdefaulttimeout(previous_timeout)
if big is None:
    big = {"name": "digits", "image_shape": (8, 8), "classes": [str(k) for k in range(10)],
           "X_train": X_train, "t_train": t_train, "X_test": X_test, "t_test": t_test}
print(f"using {big['name']}: {len(big['t_train'])} training and {len(big['t_test'])} test examples "
      f"of {big['X_train'].shape[1]} inputs")

# %% [markdown]
# `train_mlp` returns only when it has finished. For longer runs it is nice to watch the
# progress, so here is an ungraded helper that runs your own `train_mlp` with a `tqdm`
# progress bar over its mini-batches. It does not train anything itself: while your
# `train_mlp` runs, it temporarily replaces the global `mlp_loss_and_gradients` with a
# wrapper that calls yours and advances the bar by one batch (showing the latest batch
# loss once per epoch), and it puts your function back when training ends, even if it
# fails. It returns exactly what `train_mlp` returns.

# %%
def train_with_progress(X, t, layer_sizes, lr, num_epochs, batch_size, activation="relu",
                        weight_decay=0.0, seed=0):
    """Your train_mlp, from generator seed `seed`, with a progress bar; returns (params, costs)."""
    global mlp_loss_and_gradients
    your_loss_and_gradients = mlp_loss_and_gradients
    batches_per_epoch = math.ceil(X.shape[0] / batch_size)
    progress = tqdm(total=num_epochs * batches_per_epoch, desc=f"{layer_sizes} {activation}", unit="batch")

    def loss_and_gradients_with_progress(*args, **kwargs):
        loss, grads = your_loss_and_gradients(*args, **kwargs)
        progress.update(1)
        if progress.n % batches_per_epoch == 0:  # one GPU sync per epoch, not per batch
            progress.set_postfix(batch_loss=f"{float(loss):.3f}")
        return loss, grads

    mlp_loss_and_gradients = loss_and_gradients_with_progress
    try:
        return train_mlp(X, t, layer_sizes, lr, num_epochs, batch_size, activation=activation,
                         weight_decay=weight_decay, generator=torch.Generator().manual_seed(seed))
    finally:
        mlp_loss_and_gradients = your_loss_and_gradients
        progress.close()


# %%
BIG_TRAINING = {
    "FashionMNIST": {"layer_sizes": [784, 256, 10], "lr": 0.1, "num_epochs": 10, "batch_size": 128},
    "digits": {"layer_sizes": [64, 256, 128, 10], "lr": 0.1, "num_epochs": 40, "batch_size": 32},
}[big["name"]]

start = time.perf_counter()
big_params, big_costs = train_with_progress(big["X_train"], big["t_train"], seed=0, **BIG_TRAINING)
if DEVICE.type == "cuda":
    torch.cuda.synchronize()  # the GPU runs queued work later: wait for it before reading the clock
big_seconds = time.perf_counter() - start
print(f"{big['name']}: {big_seconds:.1f} s on {DEVICE}; "
      f"train accuracy {mlp_accuracy(big['X_train'], big['t_train'], big_params):.3f}, "
      f"test accuracy {mlp_accuracy(big['X_test'], big['t_test'], big_params):.3f}")

fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(big_costs.cpu())
ax.set_xlabel("epoch")
ax.set_ylabel("training cost")
ax.set_title(f"{BIG_TRAINING['layer_sizes']} MLP on {big['name']}: cost before training and after each epoch")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 13. What the first layer learns
#
# Hidden unit $k$ of the first layer computes $\phi(\mathbf{w}_k^\top\mathbf{x} + b_k)$, where
# $\mathbf{w}_k$, row $k$ of $\mathbf{W}_1$, has one weight per pixel. Reshaped to the image
# shape, that row is a picture of the pattern the unit responds to: the **feature** it
# detects. Below, gray is 0, white is positive (the unit likes ink there) and black is
# negative (ink there suppresses the unit); each image is scaled on its own.

# %%
def show_rows_as_images(W, image_shape, title, rows=2, cols=8):
    """Show the first rows * cols rows of W (units, pixels) as images, gray = 0."""
    fig, axes = plt.subplots(rows, cols, figsize=(1.4 * cols, 1.5 * rows))
    for k, ax in enumerate(axes.flat):
        image = W[k].reshape(image_shape).float().cpu()
        limit = image.abs().max().item()
        ax.imshow(image, cmap="gray", vmin=-limit, vmax=limit)
        ax.set_title(f"unit {k}", fontsize=8)
        ax.axis("off")
    fig.suptitle(title)
    plt.tight_layout()
    plt.show()


show_rows_as_images(big_params["W1"], big["image_shape"],
                    f"rows of W1 after training ({big['name']}, {big_params['W1'].shape[0]} units)")

# %% [markdown]
# Mostly noise, with a hint of structure. The random initial weights are large compared
# with what a few epochs of SGD add to them, and they are still there. Subtracting them
# shows what the network has *learned*, $\mathbf{W}_1 - \mathbf{W}_1^{\text{init}}$, for the
# same units:

# %%
# train_mlp started from init_mlp with a generator seeded like this one, moved to the data's device
big_initial_params = init_mlp(BIG_TRAINING["layer_sizes"], torch.Generator().manual_seed(0))
show_rows_as_images(big_params["W1"] - big_initial_params["W1"].to(big_params["W1"]), big["image_shape"],
                    "rows of W1 minus their initial values: the learned part")

# %% [markdown]
# Something else to notice: a pixel $j$ that is blank in every training image (a few
# pixels on the border of the digits are) gives $\bar{W}_{kj} = \sum_i \bar{Z}_{ik} X_{ij} = 0$
# in every gradient, so its weights keep their random initial values for ever; pixels
# that are almost always blank barely move either. Weight decay (section 14) clears
# such weights away.
#
# Compare these with the class templates of softmax regression (assignment 3): there
# each class had one weight image, while here the hidden units learn many partial
# patterns (strokes, edges, blobs, parts of garments), and the second layer combines
# them into classes.
#
# ## 14. The effect of weight decay
#
# A network with many more parameters than training examples can fit the training set
# perfectly, noise included, and then do worse on new data: it **overfits**. Weight decay
# pulls every weight towards 0 a little at each step, which limits how large, and so how
# sharp and specific, the learned function can become. To give the network a chance to
# overfit we train a wide 64-256-10 network on only 300 of the training digits, for many
# epochs, with three values of $\lambda$, and compare the training cost, training and
# validation accuracy, the size of the weights $\sum_l \lVert \mathbf{W}_l \rVert^2$, and
# the first-layer features.
#
# $\lambda$ is a hyperparameter, so we choose it the honest way (as the degree of the
# polynomial in assignment 1): on a **validation set** of 300 other training digits that
# the network never trains on. Only the chosen network is then scored on the test set.

# %%
subset = torch.randperm(len(t_train), generator=torch.Generator().manual_seed(0)).to(DEVICE)
X_small_train, t_small_train = X_train[subset[:300]], t_train[subset[:300]]
X_val, t_val = X_train[subset[300:600]], t_train[subset[300:600]]
DECAY_TRAINING = {"layer_sizes": [64, 256, 10], "lr": 0.1, "num_epochs": 80, "batch_size": 25}

decay_results = {}
for weight_decay in [0.0, 0.01, 0.1]:
    params, costs = train_mlp(X_small_train, t_small_train, weight_decay=weight_decay,
                              generator=torch.Generator().manual_seed(0), **DECAY_TRAINING)
    decay_results[weight_decay] = {
        "params": params,
        "costs": costs.cpu(),
        "train": mlp_accuracy(X_small_train, t_small_train, params),
        "val": mlp_accuracy(X_val, t_val, params),
        "norm": sum((params[k] ** 2).sum().item() for k in params if k.startswith("W")),
        "W1": params["W1"].cpu(),
    }

print("weight decay | train accuracy | validation accuracy | sum of ||W_l||^2")
for weight_decay, r in decay_results.items():
    print(f"{weight_decay:12g} | {r['train']:14.3f} | {r['val']:19.3f} | {r['norm']:10.1f}")
chosen_decay = max(decay_results, key=lambda wd: decay_results[wd]["val"])  # the first of equals
chosen_params = decay_results[chosen_decay]["params"]
print(f"chosen by validation accuracy: weight decay {chosen_decay:g}; "
      f"its test accuracy is {mlp_accuracy(X_test, t_test, chosen_params):.3f}")

fig, ax = plt.subplots(figsize=(6, 3.5))
for weight_decay, r in decay_results.items():
    ax.plot(r["costs"], label=f"weight decay {weight_decay:g}")
ax.set_yscale("log")
ax.set_xlabel("epoch")
ax.set_ylabel("training objective (log scale)")
ax.set_title("cross-entropy + weight-decay term on the 300 training digits")
ax.legend()
plt.show()

# One set of bins for all panels, so that the widths of the histograms can be compared.
largest = max(r["W1"].abs().max().item() for r in decay_results.values())
bins = np.linspace(-largest, largest, 61)
fig, axes = plt.subplots(1, len(decay_results), figsize=(11, 3), sharex=True, sharey=True)
for ax, (weight_decay, r) in zip(axes, decay_results.items()):
    ax.hist(r["W1"].flatten().numpy(), bins=bins)
    ax.set_yscale("log")
    ax.set_title(f"weight decay {weight_decay:g}")
    ax.set_xlabel("value of an entry of W1")
axes[0].set_ylabel("number of entries (log scale)")
fig.suptitle("entries of the first-layer weights W1 after training")
plt.tight_layout()
plt.show()

units = 10
fig, axes = plt.subplots(len(decay_results), units, figsize=(1.2 * units, 1.35 * len(decay_results)))
for row, (weight_decay, r) in zip(axes, decay_results.items()):
    for k, ax in enumerate(row):
        image = r["W1"][k].reshape(8, 8)
        limit = image.abs().max().item()
        ax.imshow(image, cmap="gray", vmin=-limit, vmax=limit)
        ax.set_xticks([])
        ax.set_yticks([])
    row[0].set_ylabel(f"{weight_decay:g}", rotation=0, ha="right", va="center")
fig.suptitle("the same first-layer units trained with weight decay 0, 0.01, 0.1 (rows)")
plt.tight_layout()
plt.show()

# %% [markdown]
# Weight decay shrinks the weights a lot, and the weights of pixels that carry no
# information (always blank, or noise the network does not need) shrink towards 0, so the
# features become cleaner. The training objective of a larger $\lambda$ levels off
# higher: it includes the penalty, and the penalty keeps the network from fitting the
# training set as closely. Its effect on validation accuracy is modest here: a moderate
# $\lambda$ changes it little, while too large a $\lambda$ keeps the network from fitting
# even the training set (underfitting). The test set played no part in the choice, so
# the chosen network's test accuracy is an honest estimate of how well it does on new
# digits.

# %% [markdown]
# ## 15. Questions
#
# Answer each in a few sentences (equations welcome).
#
# **Q1.** Replace the hard thresholds of the *hidden* units in your XOR network by the
# identity, $\phi(z) = z$, and keep the threshold on the output unit. Can any choice of
# weights then compute XOR? Use section 1 to explain why or why not.

# %% [markdown] tags=["answer:q1"]
# *Your answer here.*

# %% [markdown]
# **Q2.** The lectures' rule of thumb says the backward pass costs about 2 forward
# passes. Which of the ratios you measured in section 10 comes closest to it, and why
# do the others differ (your answer depends on whether you ran on a CPU or a GPU)?
# Training never needs $\bar{\mathbf{X}}$, the error signal on the input images. Count
# the add-multiplies per example of the forward pass and of the backward pass of the
# 784-256-10 network with and without computing $\bar{\mathbf{X}}$; what ratio would
# you expect if the first layer skipped it?

# %% [markdown] tags=["answer:q2"]
# *Your answer here.*

# %% [markdown]
# **Q3.** Write out one gradient-descent step with learning rate $\alpha$ on
# $\mathcal{L} + \frac{\lambda}{2}\lVert\mathbf{W}\rVert^2$ and show that it first multiplies
# $\mathbf{W}$ by a constant factor and then takes the usual step on $\mathcal{L}$ alone.
# Why is it called weight *decay*? Relate this to the weight norms and accuracies of
# section 14.

# %% [markdown] tags=["answer:q3"]
# *Your answer here.*
