# %% [markdown]
# In this assignment you build linear regression from the ground up in PyTorch, using
# nothing but tensor arithmetic: the model, its cost, the gradients of the cost (worked
# out by hand), gradient descent, the closed-form solution, and polynomial features.
# Along the way you will look at the shape of the cost, see what the learning rate does,
# watch a model with too few or too many features fail, pick the degree of a polynomial
# the honest way, and finally fit a real medical data set.
#
# The graded functions, in order (17 points):
#
# | function | points |
# | --- | --- |
# | `predict(X, w, b)` | 2 |
# | `squared_error_cost(y, t)` | 2 |
# | `cost_gradients(X, t, w, b)` | 4 |
# | `gradient_descent(X, t, lr, num_steps)` | 4 |
# | `fit_direct(X, t)` | 3 |
# | `polynomial_features(x, degree)` | 2 |
#
# The written questions at the end, graded by hand (7 points):
#
# | question | points |
# | --- | --- |
# | Question 1 | 2 |
# | Question 2 | 2 |
# | Question 3 | 3 |
#
# **How this notebook works.**
#
# - Run the setup cell below first. It picks the GPU when there is one (the variable
#   `DEVICE`) and defines `check`.
# - Each graded function has a cell with its docstring and a `TODO` where your code goes.
#   Fill it in, run the cell, then run the `check("...")` cell right after it:
#   `check(...)` compares your code with PyTorch's own losses and `torch.autograd` on
#   small test cases and prints a verdict for each case. Passing these public checks is
#   a good sign but not a guarantee; the grader runs more cases, in float64 and float32.
# - Rules for graded functions: inputs and outputs are tensors; return results with the
#   dtype and device of the inputs; return costs as 0-dim tensors; never modify an input.
#   Derive the gradients yourself: `torch.autograd`, `.backward()`, `torch.func` and
#   `torch.nn` are not allowed inside graded functions (use them freely in experiments).
#
# **No GPU?** If the setup cell reports that no GPU was found and you are in Colab, choose
# *Runtime → Change runtime type*, pick a GPU (such as T4), save, and run the setup cell
# again (Colab starts a fresh session, so run the cells above your work again too). Without
# a GPU everything still runs, only the training sections take longer.
#
# **Submitting.** Download the notebook as `.ipynb` (File > Download) or copy your
# functions into a `.py` file, and upload that. The grader takes only the imports,
# function definitions and simple constants from your file; experiment cells are not
# run. So a graded function must never rely on a variable that an experiment defines:
# everything it needs arrives through its arguments. Write your answers to the
# questions at the end in the cells marked *Your answer here*.

# %%
# kit: setup

# %%
import numpy as np
import matplotlib
import matplotlib.pyplot as plt
import torch
from sklearn.datasets import load_diabetes

# %% [markdown]
# ## 1. The model and the cost
#
# We are given $N$ training examples: input vectors $\mathbf{x}^{(i)} \in \mathbb{R}^D$
# and scalar targets $t^{(i)}$. A linear model predicts
#
# $$y = \mathbf{w}^\top \mathbf{x} + b,$$
#
# where the weight vector $\mathbf{w} \in \mathbb{R}^D$ and the bias $b$ are the
# parameters; each particular choice of them is one hypothesis.
#
# Working one example at a time would be slow, so we stack the inputs as the rows of a
# matrix $\mathbf{X} \in \mathbb{R}^{N \times D}$: row $i$ is $\mathbf{x}^{(i)\top}$, and
# column $j$ holds feature $j$ of every example. Then all $N$ predictions come from one
# matrix-vector product,
#
# $$\mathbf{y} = \mathbf{X}\mathbf{w} + b\,\mathbf{1}, \qquad y^{(i)} = \mathbf{w}^\top \mathbf{x}^{(i)} + b,$$
#
# where $\mathbf{1}$ is the vector of $N$ ones. In PyTorch you never build $\mathbf{1}$:
# adding a 0-dim tensor `b` to an `(N,)` tensor broadcasts it over every entry.
#
# To say how good a hypothesis is, we score each prediction with the squared-error loss
# $\mathcal{L}(y, t) = \frac{1}{2}(y - t)^2$, where $y - t$ is the *residual*, and
# average the loss over the training set to get the *cost*
#
# $$\mathcal{J}(\mathbf{w}, b) = \frac{1}{2N} \sum_{i=1}^{N} \left(y^{(i)} - t^{(i)}\right)^2 = \frac{1}{2N} \lVert \mathbf{y} - \mathbf{t} \rVert^2 .$$
#
# The factor $\frac{1}{2}$ is there for convenience only; you will see why when we
# differentiate.

# %% [markdown]
# ### Implement `predict`
#
# Given `X` of shape `(N, D)`, `w` of shape `(D,)` and a 0-dim `b`, return the `(N,)`
# vector of predictions $\mathbf{y} = \mathbf{X}\mathbf{w} + b$. One line, no loops: the
# matrix product operator `@` does the sum over features for every example at once.

# %%
# kit: function predict

# %%
check("predict")

# %% [markdown]
# ### Implement `squared_error_cost`
#
# Given predictions `y` and targets `t`, both of shape `(N,)`, return
# $\mathcal{J} = \frac{1}{2N}\sum_i (y_i - t_i)^2$ as a 0-dim tensor. Mind the
# $\frac{1}{2}$ and take the *mean* over the examples, not the sum: a cost that grows
# with the size of the data set would make the right learning rate depend on $N$.

# %%
# kit: function squared_error_cost

# %%
check("squared_error_cost")

# %% [markdown]
# ### A one-dimensional example
#
# To have something to look at, here is a small data set with a single feature ($D = 1$):
# 30 points scattered around a line. `X_toy` has shape `(30, 1)`, one example per row.
# The plot shows two hypotheses and their costs; the better-fitting line has the lower
# cost.

# %%
gen = torch.Generator().manual_seed(413)
x_toy = 1 + 2 * torch.rand(30, generator=gen, dtype=torch.float64)   # inputs in [1, 3]
t_toy = 1.5 * x_toy - 1.0 + 0.4 * torch.randn(30, generator=gen, dtype=torch.float64)
X_toy = x_toy[:, None]                                                # (N, D) = (30, 1)

x_line = torch.linspace(0.8, 3.2, 2, dtype=torch.float64)[:, None]
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.scatter(x_toy, t_toy, s=15, color="k", label="training data")
for w_value, b_value in [(0.5, 1.0), (1.5, -1.0)]:
    w_guess = torch.tensor([w_value], dtype=torch.float64)   # (D,) = (1,)
    b_guess = torch.tensor(b_value, dtype=torch.float64)     # 0-dim
    cost_guess = squared_error_cost(predict(X_toy, w_guess, b_guess), t_toy)
    ax.plot(x_line[:, 0], predict(x_line, w_guess, b_guess),
            label=f"w = {w_guess.item():.1f}, b = {b_guess.item():.1f}: J = {cost_guess.item():.3f}")
ax.set_title("Two hypotheses for the toy data")
ax.set_xlabel("input x")
ax.set_ylabel("target t")
ax.legend()
plt.show()

# %% [markdown]
# ## 2. Gradients by the chain rule
#
# To improve a hypothesis we need to know how the cost changes when we nudge each
# parameter: its partial derivatives. Start with a single example. The prediction
# $y = \sum_{j'} w_{j'} x_{j'} + b$ depends on each parameter linearly, so
#
# $$\frac{\partial y}{\partial w_j} = x_j, \qquad \frac{\partial y}{\partial b} = 1 .$$
#
# The loss depends on $w_j$ only through $y$, so the chain rule multiplies the
# derivative of the loss with respect to $y$ by the derivative of $y$ with respect to
# $w_j$. Here the $\frac{1}{2}$ pays off: it cancels the 2 from differentiating the square.
#
# $$
# \begin{aligned}
# \frac{\partial \mathcal{L}}{\partial w_j}
#   &= \frac{\mathrm{d}\mathcal{L}}{\mathrm{d}y}\,\frac{\partial y}{\partial w_j}
#    = \frac{\mathrm{d}}{\mathrm{d}y}\left[\tfrac{1}{2}(y - t)^2\right] x_j
#    = (y - t)\,x_j, \\
# \frac{\partial \mathcal{L}}{\partial b}
#   &= \frac{\mathrm{d}\mathcal{L}}{\mathrm{d}y}\,\frac{\partial y}{\partial b} = y - t .
# \end{aligned}
# $$
#
# The cost is the average of the per-example losses, and the derivative of an average
# is the average of the derivatives:
#
# $$
# \frac{\partial \mathcal{J}}{\partial w_j} = \frac{1}{N}\sum_{i=1}^{N}\left(y^{(i)} - t^{(i)}\right) x_j^{(i)},
# \qquad
# \frac{\partial \mathcal{J}}{\partial b} = \frac{1}{N}\sum_{i=1}^{N}\left(y^{(i)} - t^{(i)}\right).
# $$
#
# Now vectorise. The sum in $\partial\mathcal{J}/\partial w_j$ is the dot product of
# column $j$ of $\mathbf{X}$ with the residual vector $\mathbf{y} - \mathbf{t}$. Doing
# this for every column at once is a product with $\mathbf{X}^\top$:
#
# $$
# \frac{\partial \mathcal{J}}{\partial \mathbf{w}} = \frac{1}{N}\,\mathbf{X}^\top(\mathbf{y} - \mathbf{t}),
# \qquad
# \frac{\partial \mathcal{J}}{\partial b} = \frac{1}{N}\,\mathbf{1}^\top(\mathbf{y} - \mathbf{t}) = \operatorname{mean}(\mathbf{y} - \mathbf{t}).
# $$
#
# A quick shape check catches most mistakes: $\mathbf{X}^\top$ is $(D, N)$ and the
# residual is $(N,)$, so $\partial\mathcal{J}/\partial\mathbf{w}$ is $(D,)$, the same
# shape as $\mathbf{w}$. A gradient always has the shape of the parameter it belongs to.

# %% [markdown]
# ### Implement `cost_gradients`
#
# Given `X` `(N, D)`, `t` `(N,)`, `w` `(D,)` and a 0-dim `b`, return the pair
# `(dw, db)`: the gradient of $\mathcal{J}(\mathbf{w}, b)$ with respect to `w` (shape
# `(D,)`) and to `b` (0-dim), using the formulas above. Use your `predict` for
# $\mathbf{y}$. Do not use `torch.autograd` here; the checks compare your result *with*
# autograd.

# %%
# kit: function cost_gradients

# %%
check("cost_gradients")

# %% [markdown]
# In an experiment (not in a graded function) we are free to ask autograd for the same
# gradients. This is, in miniature, what `check` does: build the cost from tensors that
# require gradients, let `torch.autograd.grad` differentiate it, and compare.

# %%
w_probe = torch.tensor([0.5], dtype=torch.float64, requires_grad=True)
b_probe = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
cost_probe = squared_error_cost(predict(X_toy, w_probe, b_probe), t_toy)
auto_dw, auto_db = torch.autograd.grad(cost_probe, (w_probe, b_probe))
hand_dw, hand_db = cost_gradients(X_toy, t_toy, w_probe.detach(), b_probe.detach())
print("by hand:  dw =", hand_dw.tolist(), " db =", hand_db.item())
print("autograd: dw =", auto_dw.tolist(), " db =", auto_db.item())

# %% [markdown]
# ## 3. Gradient descent
#
# There are two ways to find the minimum of the cost. A *direct* solution sets all the
# partial derivatives to zero and solves the resulting equations; that works for linear
# regression (section 4) but for very few other models. An *iterative* method instead
# starts somewhere and keeps applying an update that makes the current solution a
# little better. Gradient descent, the method this course uses throughout, is the
# simplest such method.
#
# The gradient $\nabla\mathcal{J}$, the vector of all partial derivatives, points in
# the direction in which the cost increases fastest. So we start from a reasonable
# guess (all zeros) and repeatedly take a small step the opposite way:
#
# $$
# \mathbf{w} \leftarrow \mathbf{w} - \alpha\,\frac{\partial \mathcal{J}}{\partial \mathbf{w}}
#   = \mathbf{w} - \frac{\alpha}{N}\,\mathbf{X}^\top(\mathbf{y} - \mathbf{t}),
# \qquad
# b \leftarrow b - \alpha\,\frac{\partial \mathcal{J}}{\partial b}.
# $$
#
# The step size $\alpha > 0$ is the *learning rate*. If it is small enough, every step
# lowers the cost; the larger it is, the further the parameters move per step. Both
# updates use the gradients at the *current* point: compute `dw` and `db` first, then
# change `w` and `b`. (Updating `w` and then computing `db` at the new `w` would be a
# different algorithm.)

# %% [markdown]
# ### Implement `gradient_descent`
#
# Given `X` `(N, D)`, `t` `(N,)`, a learning rate `lr` and a number of steps
# `num_steps`, run batch gradient descent from $\mathbf{w} = \mathbf{0}$, $b = 0$ and
# return `(w, b, costs)`.
#
# - Create the zeros with the dtype and device of `X` (`torch.zeros(..., dtype=X.dtype,
#   device=X.device)`), so that the function works for float32 and float64, on CPU and GPU.
# - `costs` is a 1-D tensor of length `num_steps + 1`: `costs[0]` is the cost at the
#   start and `costs[k]` the cost after `k` updates. Collect 0-dim costs in a list and
#   `torch.stack` them at the end.
# - Build on the three functions you have written.

# %%
# kit: function gradient_descent

# %%
check("gradient_descent")

# %% [markdown]
# ### The cost surface and the path of gradient descent
#
# With a single feature the cost is a function of just two numbers, $w$ and $b$, so we
# can draw its contours. The next cell evaluates $\mathcal{J}$ on a grid of
# $(w, b)$ values, all at once by broadcasting, then repeats the gradient descent
# updates for two learning rates while recording every point visited, and draws those
# paths on the contour plot, one panel per learning rate. The colour is the cost (on a
# log scale, see the colour bar); the thin white lines are its contours.

# %%
w_axis = torch.linspace(-0.2, 2.4, 200, dtype=torch.float64)
b_axis = torch.linspace(-2.4, 1.0, 200, dtype=torch.float64)
W_grid, B_grid = torch.meshgrid(w_axis, b_axis, indexing="xy")       # (200, 200) each
Y_grid = W_grid[..., None] * x_toy + B_grid[..., None]               # (200, 200, N)
J_grid = 0.5 * ((Y_grid - t_toy) ** 2).mean(dim=-1)                  # (200, 200)

levels = np.geomspace(J_grid.min().item(), J_grid.max().item(), 25)  # log-spaced: the valley is deep
lowest = J_grid.argmin()

# One panel per learning rate: drawn on one plot, the two paths lie on top of each other
# along the floor of the valley.
fig, axes = plt.subplots(1, 2, figsize=(11, 4.8), sharex=True, sharey=True)
for ax, lr_path, color in zip(axes, [0.3, 0.1], ["tab:red", "tab:blue"]):
    filled = ax.contourf(W_grid.numpy(), B_grid.numpy(), J_grid.numpy(), levels=levels,
                         norm=matplotlib.colors.LogNorm(), cmap="viridis")
    ax.contour(W_grid.numpy(), B_grid.numpy(), J_grid.numpy(), levels=levels,
               colors="white", linewidths=0.3)
    w_path = torch.zeros(1, dtype=torch.float64)
    b_path = torch.zeros((), dtype=torch.float64)
    path = [(0.0, 0.0)]
    for _ in range(100):
        dw_path, db_path = cost_gradients(X_toy, t_toy, w_path, b_path)
        w_path, b_path = w_path - lr_path * dw_path, b_path - lr_path * db_path
        path.append((w_path.item(), b_path.item()))
    path = np.array(path)
    ax.plot(path[:, 0], path[:, 1], "o-", color=color, markersize=2.5, linewidth=1,
            label=f"gradient descent, lr = {lr_path}")
    ax.plot(W_grid.flatten()[lowest], B_grid.flatten()[lowest], "*", color="white",
            markeredgecolor="k", markersize=14, label="lowest cost on the grid")
    ax.plot(0, 0, "s", color="white", markeredgecolor="k", label="start (w = 0, b = 0)")
    ax.set_title(f"lr = {lr_path}: 100 steps of gradient descent")
    ax.set_xlabel("weight w")
    ax.legend(loc="lower left", fontsize=8)
axes[0].set_ylabel("bias b")
colorbar = fig.colorbar(filled, ax=axes, shrink=0.9, ticks=[0.1, 0.2, 0.5, 1, 2, 5, 10])
colorbar.ax.yaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
colorbar.ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
colorbar.set_label("cost J(w, b) (log scale)")
fig.suptitle("Contours of the cost J(w, b) on the toy data")
plt.show()

# %% [markdown]
# The contours are long, thin ellipses. Our inputs lie between 1 and 3, far from zero,
# so raising $w$ can be almost entirely compensated by lowering $b$: along that
# diagonal valley the cost hardly changes, while across it the cost rises steeply. The
# gradient points mostly across the valley, not along it. With `lr = 0.3` the path
# jumps from one side of the valley to the other before it settles; with `lr = 0.1` it
# drops into the valley without bouncing. Either way, once in the valley the steps
# along its nearly flat floor are short, so the last stretch to the minimum is slow:
# after 100 steps neither path has reached the star, and the one with `lr = 0.1` is
# still far from it.

# %% [markdown]
# ### The learning rate
#
# The next cell runs your `gradient_descent` with four learning rates and plots the
# cost against the number of steps (log scale). Costs above $10^3$ are left out of the
# plot so that a run that blows up does not squash the others.

# %%
fig, ax = plt.subplots(figsize=(6, 4))
for lr_try in [0.01, 0.1, 0.3, 0.36]:
    _, _, costs_try = gradient_descent(X_toy, t_toy, lr_try, 200)
    costs_try = costs_try.cpu().numpy()
    shown = np.where(np.isfinite(costs_try) & (costs_try < 1e3), costs_try, np.nan)  # skip diverged values
    ax.plot(shown, label=f"lr = {lr_try} (final cost {costs_try[-1]:.3g})")
ax.set_yscale("log")
ax.set_title("Gradient descent on the toy data: cost for several learning rates")
ax.set_xlabel("step k")
ax.set_ylabel("cost J after k steps")
ax.legend()
plt.show()

# %% [markdown]
# With `lr = 0.01` the cost falls, but so slowly that 200 steps are not nearly enough.
# `lr = 0.1` and `lr = 0.3` do much better. At `lr = 0.36` each step overshoots the
# bottom of the valley by more than the distance it started from, so the parameters
# swing from side to side with growing amplitude and the cost explodes. The threshold
# lies between 0.3 and 0.36 for this data set; it depends on how steep the steepest
# direction of the cost is. Try other values to find it.

# %% [markdown]
# ## 4. The direct solution
#
# At a minimum of a smooth cost every partial derivative is zero: if
# $\partial\mathcal{J}/\partial w_j$ were not zero, changing $w_j$ a little would lower
# the cost. For linear regression, setting the derivatives to zero gives a system of
# linear equations that we can solve exactly.
#
# It is tidiest to absorb the bias into the weights. Append a column of ones to the
# inputs, $\mathbf{A} = [\mathbf{X}\;\; \mathbf{1}] \in \mathbb{R}^{N \times (D+1)}$, and
# stack the parameters as $\boldsymbol{\theta} = (\mathbf{w}, b)$, so that
# $\mathbf{y} = \mathbf{A}\boldsymbol{\theta}$. By section 2 the gradient is
# $\frac{1}{N}\mathbf{A}^\top(\mathbf{A}\boldsymbol{\theta} - \mathbf{t})$, and setting
# it to zero gives the *normal equations*
#
# $$\mathbf{A}^\top\mathbf{A}\,\boldsymbol{\theta} = \mathbf{A}^\top\mathbf{t}
# \qquad\Longrightarrow\qquad
# \boldsymbol{\theta} = (\mathbf{A}^\top\mathbf{A})^{-1}\mathbf{A}^\top\mathbf{t}$$
#
# whenever $\mathbf{A}$ has linearly independent columns, which makes
# $\mathbf{A}^\top\mathbf{A}$ invertible.
#
# On a computer, avoid forming the inverse. `torch.linalg.solve(A.T @ A, A.T @ t)` solves
# the normal equations directly; a least-squares solver that works on $\mathbf{A}$
# itself, such as `torch.linalg.lstsq` or the pseudo-inverse `torch.linalg.pinv(A) @ t`,
# is more accurate still, because $\mathbf{A}^\top\mathbf{A}$ has the *square* of the
# condition number of $\mathbf{A}$. That matters in float32 and for polynomial features.
#
# If a formula gives the answer, why bother with gradient descent? Because it applies to
# almost every model in this course, where no formula exists; because it is easy to
# implement (especially with automatic differentiation); and because solving the
# equations costs $\mathcal{O}(D^3)$ operations, too many when $D$ is large.

# %% [markdown]
# ### Implement `fit_direct`
#
# Given `X` `(N, D)` and `t` `(N,)`, return `(w, b)`, with `w` of shape `(D,)` and a
# 0-dim `b`, that minimise $\mathcal{J}$, computed in closed form (no iterations). Build
# $\mathbf{A}$ with `torch.cat` and a column of ones made with the dtype and device of
# `X`, solve for $\boldsymbol{\theta}$, and split it into `w` and `b`.

# %%
# kit: function fit_direct

# %%
check("fit_direct")

# %% [markdown]
# Gradient descent should approach the direct solution as it takes more steps. Compare
# them on the toy data:

# %%
w_direct, b_direct = fit_direct(X_toy, t_toy)
cost_direct = squared_error_cost(predict(X_toy, w_direct, b_direct), t_toy)
print(f"direct:            w = {w_direct.item():.5f}, b = {b_direct.item():.5f}, "
      f"cost = {cost_direct.item():.6f}")
for steps in [10, 100, 1000]:
    w_toy, b_toy, costs_toy = gradient_descent(X_toy, t_toy, 0.3, steps)
    print(f"GD, {steps:4d} steps:   w = {w_toy.item():.5f}, b = {b_toy.item():.5f}, "
          f"cost = {costs_toy[-1].item():.6f}")

# %% [markdown]
# ## 5. Feature maps and polynomial regression
#
# A linear model can only draw straight lines (or flat planes) through the data. But
# nothing forces the model to be linear in the *raw* input: we can first transform the
# input with a *feature map* $\psi$ and fit a linear model to the features,
# $y = \mathbf{w}^\top \psi(\mathbf{x})$. For a scalar input, the map
# $\psi(x) = (1, x, x^2, \dots, x^M)^\top$ turns the model into a polynomial of degree
# $M$,
#
# $$y = w_0 + w_1 x + w_2 x^2 + \dots + w_M x^M,$$
#
# which is called *polynomial regression*. The algorithms do not change at all: we
# simply treat $\psi(x)$ as the input vector. The leading 1 in $\psi$ makes $w_0$ act as
# the bias, so no separate bias is needed.
#
# Our functions keep their own bias $b$, though. So when we fit polynomials below we drop
# the column of ones and let $b$ play the part of $w_0$; passing both would give
# $\mathbf{A}$ two identical columns, and the normal equations would have no unique
# solution. Choosing good features by hand is hard in general; before deep learning,
# most of the work in building a practical system went into exactly that.

# %% [markdown]
# ### Implement `polynomial_features`
#
# Given `x` of shape `(N,)` and an integer `degree` $M \ge 0$, return `Psi` of shape
# `(N, M + 1)` with `Psi[i, j] = x[i] ** j`; column 0 is all ones. Build the columns and
# put them side by side (`torch.stack(..., dim=1)`), or use broadcasting.

# %%
# kit: function polynomial_features

# %%
check("polynomial_features")

# %% [markdown]
# ### Under- and overfitting
#
# Now a data set where a straight line is not enough: ten noisy observations of
# $\sin(\pi x)$ at evenly spaced points of $[-1, 1]$. Keeping $x$ within $[-1, 1]$ keeps
# every power $x^j$ between $-1$ and $1$; with inputs around 100, $x^9$ would be around
# $10^{18}$ and the columns of $\Psi$ would differ by many orders of magnitude, a badly
# conditioned problem that costs accuracy in any solver. We use float64 and the direct solution: for degree 9 the cost
# valley is so long and narrow that gradient descent would need an enormous number of
# steps.
#
# The cell fits polynomials of degree 0, 1, 3 and 9 and draws them with the training
# points and the true curve. (For degree 0, dropping the column of ones leaves a
# feature matrix with no columns at all, shape `(N, 0)`: the model is the constant $b$.
# Your `predict` and `fit_direct` should cope with that without special cases.)

# %%
gen = torch.Generator().manual_seed(0)
noise_std = 0.25
x_train = torch.linspace(-1, 1, 10, dtype=torch.float64)
t_train = torch.sin(torch.pi * x_train) + noise_std * torch.randn(10, generator=gen, dtype=torch.float64)
x_dense = torch.linspace(-1, 1, 400, dtype=torch.float64)

fig, axes = plt.subplots(2, 2, figsize=(9, 6.5), sharex=True, sharey=True)
for ax, degree in zip(axes.flat, [0, 1, 3, 9]):
    features = polynomial_features(x_train, degree)[:, 1:]        # drop the ones: b is w_0
    w_poly, b_poly = fit_direct(features, t_train)
    train_cost = squared_error_cost(predict(features, w_poly, b_poly), t_train)
    y_dense = predict(polynomial_features(x_dense, degree)[:, 1:], w_poly, b_poly)
    ax.plot(x_dense, torch.sin(torch.pi * x_dense), "--", color="gray", label="sin(pi x)")
    ax.plot(x_dense, y_dense, color="tab:red", label="fitted polynomial")
    ax.scatter(x_train, t_train, color="k", s=20, zorder=3, label="training data")
    ax.set_ylim(-2, 2)
    ax.set_title(f"degree M = {degree}, training cost {train_cost.item():.2g}")
    ax.set_xlabel("input x")
    ax.set_ylabel("target t")
axes[0, 0].legend(loc="lower right", fontsize=8)
fig.suptitle("Polynomial fits to 10 noisy samples of sin(pi x)")
fig.tight_layout()
plt.show()

# %% [markdown]
# Degrees 0 and 1 *underfit*: the model is too simple to follow the curve, so it is
# wrong on the training points and would be just as wrong on new ones. Degree 3 follows
# the sine closely. Degree 9 has ten parameters for ten points, so it passes through
# every training point and its training cost is zero, but it wiggles between them to do
# so: it has fitted the noise. This is *overfitting*: a perfect fit to the training data
# that will not *generalise* to data the model has not seen.

# %% [markdown]
# ### Choosing the degree on a validation set
#
# The degree $M$ is a *hyperparameter*: a setting that the training procedure cannot
# choose for us. Minimising the training cost over $M$ as well would always pick the
# largest degree, because a higher-degree polynomial can copy any lower-degree one (by
# setting its extra coefficients to zero), so its training cost is never higher.
#
# Instead we hold out a *validation set* drawn from the same source: fit each candidate
# degree on the training set, measure its cost on the validation set, and keep the
# degree with the lowest validation cost. The validation set has now been used to make
# a choice, so to report how well the final model does we use a third, *test* set that
# played no part in training or choosing.

# %%
x_val = 2 * torch.rand(100, generator=gen, dtype=torch.float64) - 1      # 100 new points in [-1, 1]
t_val = torch.sin(torch.pi * x_val) + noise_std * torch.randn(100, generator=gen, dtype=torch.float64)
x_test = 2 * torch.rand(100, generator=gen, dtype=torch.float64) - 1
t_test = torch.sin(torch.pi * x_test) + noise_std * torch.randn(100, generator=gen, dtype=torch.float64)

degrees = list(range(10))
train_costs, val_costs, fits = [], [], []
for degree in degrees:
    features = polynomial_features(x_train, degree)[:, 1:]
    w_poly, b_poly = fit_direct(features, t_train)
    fits.append((w_poly, b_poly))
    train_costs.append(squared_error_cost(predict(features, w_poly, b_poly), t_train).item())
    val_features = polynomial_features(x_val, degree)[:, 1:]
    val_costs.append(squared_error_cost(predict(val_features, w_poly, b_poly), t_val).item())

best = degrees[int(np.argmin(val_costs))]
w_best, b_best = fits[best]
test_cost = squared_error_cost(predict(polynomial_features(x_test, best)[:, 1:], w_best, b_best), t_test)
print(f"lowest validation cost at degree {best}; its test cost is {test_cost.item():.4f}")

print("degree M       " + "".join(f"{degree:>8d}" for degree in degrees))
print("training cost  " + "".join(f"{cost:8.3f}" for cost in train_costs))
print("validation cost" + "".join(f"{cost:8.3f}" for cost in val_costs))

# A linear axis: the validation U spans less than one decade, while the training cost of
# degree 9 is 0 up to rounding (about 1e-30); a log axis would stretch over thirty
# decades to show it and flatten the U.
fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(degrees, train_costs, "o-", label="training cost")
ax.plot(degrees, val_costs, "s-", label="validation cost")
ax.axvline(best, color="gray", linestyle=":", label=f"chosen degree {best}")
ax.set_ylim(bottom=0)
ax.set_xticks(degrees)
ax.set_title("Training and validation cost against polynomial degree")
ax.set_xlabel("degree M")
ax.set_ylabel("cost J")
ax.legend()
plt.show()

# %% [markdown]
# The training cost never goes up as the degree grows (from degree 1 to 2 it stays put:
# the sine is odd, so an $x^2$ term does not help) and is 0 at degree 9. The validation
# cost falls while the extra flexibility helps capture the sine, then rises again once
# the polynomial starts fitting noise: the classic U shape, with underfitting on the left
# and overfitting on the right.

# %% [markdown]
# ## 6. A real data set: diabetes progression
#
# scikit-learn ships a small medical data set (no download needed): for 442 diabetes
# patients, ten baseline measurements (age, sex, body mass index, average blood pressure
# and six blood serum measurements, `s1` to `s6`) and, as the target, a number measuring
# how far the disease had progressed one year later.
#
# We split the patients at random into a training set (80%) and a test set (20%) and
# *standardise* each feature: subtract its mean and divide by its standard deviation,
# both computed on the training set only (the test set must not influence training,
# not even through these statistics). With all features on the same scale, one learning
# rate suits every weight and the contours of the cost are much rounder than in our toy
# example. The data then moves to `DEVICE`, so this part runs on the GPU when there is one.

# %%
diabetes = load_diabetes()
X_all = torch.tensor(diabetes.data, dtype=torch.float32)
t_all = torch.tensor(diabetes.target, dtype=torch.float32)
order = torch.randperm(len(t_all), generator=torch.Generator().manual_seed(0))
train_idx, test_idx = order[:354], order[354:]

feature_mean = X_all[train_idx].mean(dim=0)
feature_std = X_all[train_idx].std(dim=0)
X_dtrain = ((X_all[train_idx] - feature_mean) / feature_std).to(DEVICE)
X_dtest = ((X_all[test_idx] - feature_mean) / feature_std).to(DEVICE)
t_dtrain, t_dtest = t_all[train_idx].to(DEVICE), t_all[test_idx].to(DEVICE)
print("training set", tuple(X_dtrain.shape), "test set", tuple(X_dtest.shape), "on", DEVICE)

# %%
w_gd, b_gd, costs_gd = gradient_descent(X_dtrain, t_dtrain, 0.3, 2000)
w_dir, b_dir = fit_direct(X_dtrain, t_dtrain)

for name, w_fit, b_fit in [("gradient descent", w_gd, b_gd), ("direct solution", w_dir, b_dir)]:
    train_cost = squared_error_cost(predict(X_dtrain, w_fit, b_fit), t_dtrain).item()
    test_cost = squared_error_cost(predict(X_dtest, w_fit, b_fit), t_dtest).item()
    # sqrt(2 J) is the root-mean-square error, in the units of the target
    print(f"{name:17s} train cost {train_cost:8.2f}   test cost {test_cost:8.2f}   "
          f"test RMS error {(2 * test_cost) ** 0.5:6.2f}")
print(f"largest difference between the two weight vectors: {(w_gd - w_dir).abs().max().item():.3f}")

cost_dir = squared_error_cost(predict(X_dtrain, w_dir, b_dir), t_dtrain)
excess = (costs_gd - cost_dir).cpu().numpy()
excess = np.where(excess > 0, excess, np.nan)    # float32 rounding can make the gap <= 0

fig, (ax_cost, ax_w, ax_diff) = plt.subplots(1, 3, figsize=(15, 4.2))
ax_cost.plot(excess)
ax_cost.set_yscale("log")
ax_cost.set_title("cost of gradient descent above fit_direct's")
ax_cost.set_xlabel("step k")
ax_cost.set_ylabel("J after k steps minus J of fit_direct")
positions = np.arange(len(diabetes.feature_names))
ax_w.bar(positions - 0.2, w_gd.cpu().numpy(), width=0.4, label="gradient descent (2000 steps)")
ax_w.bar(positions + 0.2, w_dir.cpu().numpy(), width=0.4, label="direct solution")
ax_w.axhline(0, color="gray", linewidth=0.5)
ax_w.set_xticks(positions, diabetes.feature_names)
ax_w.set_title("learned weights (standardised features)")
ax_w.set_xlabel("feature")
ax_w.set_ylabel("weight")
ax_w.legend(loc="upper center", bbox_to_anchor=(0.5, -0.17), ncol=2, fontsize=8)  # below: hides no bar
# At the scale of the weights the differences are invisible, so they get a panel of their own.
ax_diff.bar(positions, (w_gd - w_dir).cpu().numpy(), color="tab:green")
ax_diff.axhline(0, color="gray", linewidth=0.5)
ax_diff.set_xticks(positions, diabetes.feature_names)
ax_diff.set_title("weight of gradient descent minus direct")
ax_diff.set_xlabel("feature")
ax_diff.set_ylabel("difference in weight")
fig.suptitle("Diabetes: gradient descent (lr = 0.3) against the direct solution")
fig.tight_layout()
plt.show()

# %% [markdown]
# The two methods end up in practically the same place (middle panel). The left panel
# shows how: the gap in cost shrinks by orders of magnitude in the first few steps, then
# much more slowly. The right panel magnifies what is left: the differences in the
# weights sit almost entirely in `s1`, `s2`, `s3` and `s5`. Several serum measurements are strongly correlated (`s1` and `s2` have
# a correlation of about 0.9), so raising one weight while lowering another barely
# changes the predictions: the cost has a long, flat valley, just like the toy example
# in section 3, and gradient descent creeps along it. The same correlation explains the
# large weights of opposite sign on `s1` and `s2`, which largely cancel; the weight of
# one of several correlated features says little about that feature on its own.
#
# The test cost is close to the training cost: a linear model with eleven parameters
# has little room to overfit 354 patients.

# %% [markdown]
# ## 7. Questions
#
# Answer each question in two to four sentences in the answer cell below it.
#
# **Question 1.** The cost carries a factor $\frac{1}{2}$. Does it change which
# $(\mathbf{w}, b)$ minimises $\mathcal{J}$? What does it change about gradient descent,
# and why is it there at all?

# %% [markdown] tags=["answer:q1"]
# *Your answer here.*

# %% [markdown]
# **Question 2.** In the learning-rate experiment, what happened with the largest
# learning rate, and why? Use the contour plot of section 3 in your explanation.

# %% [markdown] tags=["answer:q2"]
# *Your answer here.*

# %% [markdown]
# **Question 3.** Why do we choose the polynomial degree by the validation cost rather
# than the training cost? And why do we report the test cost of the chosen degree
# rather than its validation cost?

# %% [markdown] tags=["answer:q3"]
# *Your answer here.*
