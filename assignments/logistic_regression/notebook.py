# %% [markdown]
# In this assignment you implement logistic regression in PyTorch from first principles:
# the logistic function, the model's predictions, the cross-entropy cost, its gradients
# (derived by hand), and gradient descent. Along the way you will see why the loss is
# computed from the logits rather than from probabilities, why squared error is a poor
# partner for a sigmoid, and where cross-entropy comes from. At the end you train your
# classifier on a 2-D toy problem and on a real medical data set.
#
# The graded functions, in order (16 points):
#
# | function | points |
# | --- | --- |
# | `sigmoid(z)` | 2 |
# | `logistic_predict(X, w, b)` | 1 |
# | `binary_cross_entropy(z, t)` | 3 |
# | `logistic_gradients(X, t, w, b)` | 4 |
# | `squared_error_logistic_gradients(X, t, w, b)` | 3 |
# | `fit_logistic_regression(X, t, lr, num_steps)` | 3 |
#
# The written questions at the end, graded by hand (8 points):
#
# | question | points |
# | --- | --- |
# | Question 1 | 3 |
# | Question 2 | 2 |
# | Question 3 | 3 |
#
# **Checking your work.** Right after each function there is a cell `check("name")`. It
# runs public test cases on your current definition and compares the results with
# PyTorch's own: `torch.sigmoid`, `torch.nn.functional.binary_cross_entropy_with_logits`,
# and gradients computed by `torch.autograd`. It tells you which case failed, by how much,
# and often why. The grader uses more cases of the same kind (float32 and float64, single
# examples, logits as large as $10^4$), so make your code correct, not just the public
# cases.
#
# **Rules for graded functions.** Inputs and outputs are `torch.Tensor`s; return the dtype
# and device of the inputs; costs are means over the examples, returned as 0-dim tensors;
# never modify an input. Derive gradients yourself: graded code may not use
# `torch.autograd`, `.backward()`, `torch.func`, `torch.nn`, `torch.nn.functional`,
# `torch.sigmoid`, `torch.softmax`, `torch.logsumexp`, `torch.special.expit`, or their
# tensor-method versions such as `z.sigmoid()`. Tensor arithmetic, reductions, `torch.exp`,
# `torch.log`, `torch.log1p`, `torch.logaddexp`, `torch.tanh`, `torch.clamp`,
# `torch.where`, `torch.maximum` and `@` are all fine. A function that calls one of your
# other graded functions is judged together with it.
#
# **No GPU?** If the setup cell reports that no GPU was found and you are in Colab, choose
# *Runtime → Change runtime type*, pick a GPU (such as T4), save, and run the setup cell
# again (Colab starts a fresh session, so run the cells above your work again too). Without
# a GPU everything still runs, only the training sections take longer.
#
# **Submitting.** Either download this notebook (*File → Download → .ipynb*) and submit the
# `.ipynb`, or copy your functions into a file `logistic_regression.py` and submit that.
# The grader keeps only `import` statements, function definitions and simple constants
# from your submission; it never runs the experiment cells. A graded function must
# therefore get everything it needs from its arguments (or from your other graded
# functions), never from a variable that an experiment cell created.

# %%
# kit: setup

# %%
import numpy as np
import matplotlib.pyplot as plt
import torch
from sklearn.datasets import load_breast_cancer

# %% [markdown]
# ## 1. Binary classification and the logistic function
#
# Each example is a row $\mathbf{x}^\top$ of the data matrix $X$ (shape $N \times D$),
# with a target $t \in \{0, 1\}$. Examples with $t = 1$ are the *positive* ones, those
# with $t = 0$ the *negative* ones. A linear classifier computes the **logit**
#
# $$z = \mathbf{w}^\top \mathbf{x} + b$$
#
# and answers 1 when $z \ge 0$, else 0. We cannot train this rule directly: the fraction of
# correct answers changes in jumps as $\mathbf{w}$ moves, so its gradient is zero almost
# everywhere. Instead the model will output a number $y \in [0, 1]$, read as its estimate
# of the probability that $t = 1$, and we minimise a smooth loss of that number.
#
# To turn a logit $z \in (-\infty, \infty)$ into a probability, squash it with the
# **logistic function** (also called the sigmoid):
#
# $$\sigma(z) = \frac{1}{1 + e^{-z}} = \frac{e^{z}}{1 + e^{z}} .$$
#
# Things worth knowing about it:
#
# * $\sigma(0) = \tfrac{1}{1 + 1} = \tfrac12$: a logit of zero means "no idea".
# * As $z \to +\infty$, $e^{-z} \to 0$, so $\sigma(z) \to 1$. As $z \to -\infty$, the second
#   form shows $e^{z} \to 0$, so $\sigma(z) \to 0$.
# * Symmetry: $\sigma(-z) = 1 - \sigma(z)$.
# * Derivative: $\sigma'(z) = \sigma(z)\,(1 - \sigma(z))$. You will need it in part 5.
#
# ### Your task: `sigmoid(z)`
#
# Apply $\sigma$ elementwise to a tensor `z` of any shape. The two formulas above are equal
# on paper but not in floating point. In float32, $e^{u}$ overflows to `inf` once $u$
# exceeds about 88.7, so $e^{-z}$ blows up for $z < -88.7$ and $e^{z}$ for $z > 88.7$.
# The quantity $e^{-|z|}$, on the other hand, always lies in $(0, 1]$. Write $\sigma(z)$ for
# $z \ge 0$ and for $z < 0$ in terms of $e^{-|z|}$ and choose between the two with
# `torch.where`. (Another correct route: $\sigma(z) = \tfrac12\,(1 + \tanh(z/2))$.) Your
# function must be finite and within the checks' tolerance for every finite `z`, up to
# $|z| = 10^4$ in float32. What the checks catch, and what they let through, is shown just below.

# %%
# kit: function sigmoid

# %%
check("sigmoid")

# %% [markdown]
# ### What goes wrong with the textbook formula
#
# Below, both textbook formulas are evaluated in float32 and set against your `sigmoid`
# applied to the same logits in float64. Look at three things:
#
# * $e^{-z}$ overflows to `inf` for large negative $z$. Then $1/(1 + e^{-z})$ becomes
#   exactly 0, which is the right limit, but every digit is lost: at $z = -90$ the true
#   value, about $8 \times 10^{-40}$, is still representable in float32. That error is far
#   below any absolute tolerance, so `check("sigmoid")` and the grader accept this form: it
#   is finite and close enough. Its lost digits only matter once you take a log of it,
#   which is why part 3 computes the cost from the logits.
# * $e^{z}/(1 + e^{z})$ is worse: for large positive $z$ it computes $\infty / \infty$,
#   which is `nan`. The checks' cases with $|z|$ of $10^3$ and $10^4$ fail it.
# * Even a perfect $\sigma(z)$ cannot save $1 - \sigma(z)$: in float32 it rounds to exactly
#   0 from about $z = 17$ on, although the true value is $e^{-z}$-sized. Taking the log of
#   that 0 gives $-\infty$. Part 3 avoids this by never forming $1 - \sigma(z)$.

# %%
z_demo = torch.tensor([-200.0, -90.0, -20.0, 0.0, 20.0, 90.0, 200.0])  # float32
naive = 1 / (1 + torch.exp(-z_demo))
naive_ratio = torch.exp(z_demo) / (1 + torch.exp(z_demo))
ours = sigmoid(z_demo)
ours_float64 = sigmoid(z_demo.double())
print(f"{'z':>7} {'exp(-z)':>10} {'1/(1+exp(-z))':>14} {'e^z/(1+e^z)':>12} {'your sigmoid':>13} "
      f"{'float64':>10} {'1 - yours':>10}")
for i in range(len(z_demo)):
    print(f"{z_demo[i].item():7.0f} {torch.exp(-z_demo[i]).item():10.3g} {naive[i].item():14.4g} "
          f"{naive_ratio[i].item():12.4g} {ours[i].item():13.4g} {ours_float64[i].item():10.4g} "
          f"{(1 - ours[i]).item():10.3g}")

# %% [markdown]
# The lecture notes plot $\sigma(cz)$ for a few scalings $c > 0$. A larger $c$ (think of
# larger weights) makes the step from 0 to 1 steeper and the model more confident; as
# $c \to \infty$ it approaches the hard threshold of the linear classifier.

# %%
z_grid = torch.linspace(-8, 8, 401)
fig, ax = plt.subplots(figsize=(6, 3.5))
for c in [0.5, 1.0, 2.0, 5.0]:
    ax.plot(z_grid, sigmoid(c * z_grid), label=f"c = {c}")
ax.axhline(0.5, color="gray", lw=0.5)
ax.set_title(r"The logistic function $\sigma(cz)$")
ax.set_xlabel("logit z")
ax.set_ylabel(r"$\sigma(cz)$")
ax.legend()
plt.show()

# %% [markdown]
# ## 2. The logistic regression model
#
# Put a linear map in front of the sigmoid. For all $N$ examples at once, with one example
# per row of $X$:
#
# $$\mathbf{z} = X\mathbf{w} + b, \qquad \mathbf{y} = \sigma(\mathbf{z}),$$
#
# where $X$ is $(N, D)$, $\mathbf{w}$ is $(D,)$, $b$ is a 0-dim tensor, and $\mathbf{z}$
# and $\mathbf{y}$ are $(N,)$. Entry $y_i$ is the model's probability that example $i$ is
# positive. Predicting class 1 when $y_i \ge \tfrac12$ is the same as predicting it when
# $z_i \ge 0$, so the **decision boundary** is the hyperplane
# $\mathbf{w}^\top\mathbf{x} + b = 0$: logistic regression is still a linear classifier.
#
# ### Your task: `logistic_predict(X, w, b)`
#
# Return $\sigma(X\mathbf{w} + b)$ with shape $(N,)$. Use your `sigmoid`. Keep the shapes
# as given: an $(N, 1)$ result, or a $(D, 1)$ weight vector, broadcasts into an
# $(N, N)$ mess further on.

# %%
# kit: function logistic_predict

# %%
check("logistic_predict")

# %% [markdown]
# ## 3. Choosing a loss
#
# ### A first try: squared error
#
# From linear regression we know the squared error, so why not
# $\mathcal{L}_\text{SE}(y, t) = \tfrac12 (y - t)^2$ with $y = \sigma(z)$? By the chain rule
#
# $$\frac{\partial \mathcal{L}_\text{SE}}{\partial z}
#   = (y - t)\,\sigma'(z) = (y - t)\, y\,(1 - y).$$
#
# Take a positive example ($t = 1$) that the model gets badly wrong, say $z = -10$. Then
# $y \approx 4.5 \times 10^{-5}$, the factor $y(1 - y)$ is about $4.5 \times 10^{-5}$ as
# well, and the gradient is tiny. Gradient descent takes a step proportional to the
# gradient, so exactly when the prediction is most wrong the model barely moves. You will
# measure this effect in part 5, once both gradient functions exist. We want a loss that
# punishes confident mistakes hard and keeps a large gradient for them.
#
# ### Cross-entropy from maximum likelihood
#
# The model claims that, given $\mathbf{x}$, the target is a coin flip (a **Bernoulli**
# variable) with $P(t = 1 \mid \mathbf{x}) = y$ and $P(t = 0 \mid \mathbf{x}) = 1 - y$.
# Because $t \in \{0, 1\}$, both cases fit in one expression:
#
# $$p(t \mid \mathbf{x}) = y^{t}\,(1 - y)^{1 - t}.$$
#
# If the training examples are independent and identically distributed, the probability
# the model assigns to all the observed targets (the **likelihood**) is a product, and
# maximum likelihood picks the parameters that make it as large as possible:
#
# $$\max_{\mathbf{w}, b} \; \prod_{i=1}^{N} y_i^{t_i}\,(1 - y_i)^{1 - t_i}.$$
#
# A product of many numbers below 1 quickly underflows (see the cell below). The logarithm
# is increasing, so the log-likelihood has its maximum at the same parameters, and it
# turns the product into a sum:
#
# $$\sum_{i=1}^{N} \big[\, t_i \log y_i + (1 - t_i) \log(1 - y_i) \,\big].$$
#
# Maximising this is minimising its negative; dividing by $N$ does not move the minimiser
# either. The result is the mean **binary cross-entropy**:
#
# $$J = \frac1N \sum_{i=1}^{N} \mathcal{L}_\text{CE}(y_i, t_i), \qquad
#   \mathcal{L}_\text{CE}(y, t) = -t \log y - (1 - t) \log(1 - y)
#   = \begin{cases} -\log y & t = 1 \\ -\log(1 - y) & t = 0. \end{cases}$$
#
# Each example pays minus the log of the probability the model gave to its true class.
# That is 0 for a perfectly confident correct answer and grows without bound as a wrong
# answer becomes more confident: being 99% sure of the wrong class costs
# $-\log 0.01 \approx 4.6$, twice as much as being 90% sure of it ($-\log 0.1 \approx 2.3$).

# %%
p_observed = torch.full((1000,), 0.9)  # probability given to each example's true class
print("likelihood     (float32 product):", torch.prod(p_observed).item())
print("log-likelihood (float32 sum)    :", torch.log(p_observed).sum().item())
print("1000 * log(0.9)                 :", 1000 * np.log(0.9))

# %% [markdown]
# ### Computing the cross-entropy from the logits
#
# Part 1 showed that $\log \sigma(z)$ and $\log(1 - \sigma(z))$ break down in float32 once
# $|z|$ is moderately large. The cure is to never form the probability. Define the
# **softplus** function $\operatorname{softplus}(u) = \log(1 + e^{u})$. Then
#
# $$\log \sigma(z) = -\log(1 + e^{-z}) = -\operatorname{softplus}(-z), \qquad
#   \log(1 - \sigma(z)) = \log \sigma(-z) = -\operatorname{softplus}(z),$$
#
# so $\mathcal{L}_\text{CE} = t\,\operatorname{softplus}(-z) + (1 - t)\,\operatorname{softplus}(z)$.
# Since $\log(1 + e^{-z}) = \log\big(e^{-z}(e^{z} + 1)\big) = -z + \operatorname{softplus}(z)$,
# this simplifies to
#
# $$\mathcal{L}_\text{CE}(z, t) = \operatorname{softplus}(z) - t\,z .$$
#
# For $z \to -\infty$ and $t = 1$ the loss behaves like the straight line $-z$; for
# $z \to +\infty$ it goes to 0. The lecture notes put it this way: the loss asymptotes to
# a linear function of the logit.
#
# Softplus itself needs the same care as the sigmoid, because $e^{u}$ overflows for large
# $u$. Pull the large part out:
#
# $$\operatorname{softplus}(u) = \max(u, 0) + \log\big(1 + e^{-|u|}\big),$$
#
# and compute $\log(1 + \text{small})$ with `torch.log1p`, which stays accurate when its
# argument is tiny. (`torch.logaddexp(0, u)`, with the 0 as a tensor, also computes
# $\log(e^0 + e^u)$ stably.)
#
# ### Your task: `binary_cross_entropy(z, t)`
#
# Given logits `z` $(N,)$ and targets `t` $(N,)$ in $\{0, 1\}$, return the mean of
# $\mathcal{L}_\text{CE}(z_i, t_i)$ as a 0-dim tensor. It has to be finite and accurate
# for $|z|$ up to $10^4$ in float32, so do not call `sigmoid` and then `log`.

# %%
# kit: function binary_cross_entropy

# %%
check("binary_cross_entropy")

# %% [markdown]
# Compare your stable version with the formula written with probabilities, one example at
# a time, in float32. Note the `inf` where a probability rounded to 0 or 1 and the `nan`
# from $0 \cdot \log 0 = 0 \cdot (-\infty)$.

# %%
z_demo = torch.tensor([-120.0, -20.0, 0.0, 20.0, 120.0])
for target in [1.0, 0.0]:
    t_demo = torch.full_like(z_demo, target)
    y_demo = sigmoid(z_demo)
    naive_ce = -t_demo * torch.log(y_demo) - (1 - t_demo) * torch.log(1 - y_demo)
    stable_ce = torch.stack([binary_cross_entropy(z_demo[i:i + 1], t_demo[i:i + 1])
                             for i in range(len(z_demo))])
    print(f"t = {target:.0f}")
    print("   z         :", z_demo.tolist())
    print("   via log(y):", naive_ce.tolist())
    print("   from z    :", stable_ce.tolist())

# %% [markdown]
# ### The same loss with labels in $\{-1, +1\}$
#
# Some texts, including one of the lecture notes, label the classes $s \in \{-1, +1\}$
# instead. By the symmetry $\sigma(-z) = 1 - \sigma(z)$, the probability the model gives
# to the observed label is $\sigma(s z)$ in both cases, so the negative log-likelihood of
# one example is
#
# $$-\log \sigma(s z) = \log\big(1 + e^{-s z}\big) = \operatorname{softplus}(-s z).$$
#
# With $s = 2t - 1$: for $t = 1$ it is $\log(1 + e^{-z}) = -\log\sigma(z)$, and for
# $t = 0$ it is $\log(1 + e^{z}) = -\log(1 - \sigma(z))$. It is the same loss written
# differently. The cell below checks that numerically against your function, including
# very large logits.

# %%
gen = torch.Generator().manual_seed(0)
for dtype, scale in [(torch.float64, 3.0), (torch.float32, 3.0), (torch.float32, 1e4)]:
    z_pm = scale * torch.randn(1000, generator=gen, dtype=dtype)
    t01 = (torch.rand(1000, generator=gen) < 0.5).to(dtype)
    s_pm = 2 * t01 - 1
    loss_pm = torch.logaddexp(torch.zeros_like(z_pm), -s_pm * z_pm).mean()
    loss_01 = binary_cross_entropy(z_pm, t01)
    print(f"{str(dtype):14} |z| up to {z_pm.abs().max().item():9.3g}:  {{-1,+1}} form "
          f"{loss_pm.item():.8g}   {{0,1}} form {loss_01.item():.8g}   "
          f"relative difference {((loss_pm - loss_01).abs() / loss_01).item():.1e}")

# %% [markdown]
# ## 4. Gradients of the cross-entropy
#
# Differentiate one example's loss with respect to its logit. From the softplus form,
# using $\frac{d}{dz}\operatorname{softplus}(z) = \frac{e^{z}}{1 + e^{z}} = \sigma(z)$:
#
# $$\frac{\partial \mathcal{L}_\text{CE}}{\partial z} = \sigma(z) - t = y - t .$$
#
# (The long way gives the same: $\frac{\partial\mathcal{L}}{\partial y} = -\frac{t}{y} +
# \frac{1 - t}{1 - y}$, times $\frac{dy}{dz} = y(1 - y)$, equals $y - t$.) The factor
# $y(1 - y)$ that troubled squared error has cancelled: the gradient is simply the
# prediction error, as large as 1 in size when the model is confidently wrong.
#
# For the cost $J = \frac1N \sum_i \mathcal{L}_\text{CE}(z_i, t_i)$ with
# $z_i = \mathbf{w}^\top\mathbf{x}_i + b$, we have $\partial z_i / \partial \mathbf{w} =
# \mathbf{x}_i$ and $\partial z_i / \partial b = 1$, so
#
# $$\frac{\partial J}{\partial \mathbf{w}} = \frac1N \sum_{i=1}^{N} (y_i - t_i)\,\mathbf{x}_i
#   = \frac1N X^\top(\mathbf{y} - \mathbf{t}), \qquad
#   \frac{\partial J}{\partial b} = \frac1N \sum_{i=1}^{N} (y_i - t_i).$$
#
# Shapes: $X^\top$ is $(D, N)$ and $\mathbf{y} - \mathbf{t}$ is $(N,)$, so
# $\partial J / \partial\mathbf{w}$ is $(D,)$ like $\mathbf{w}$, and
# $\partial J / \partial b$ is 0-dim like $b$.
#
# ### Your task: `logistic_gradients(X, t, w, b)`
#
# Return `(dw, db)`, the gradients of `binary_cross_entropy(X @ w + b, t)`, with exactly
# the shapes of `w` and `b`. The check compares them with `torch.autograd`.

# %%
# kit: function logistic_gradients

# %%
check("logistic_gradients")

# %% [markdown]
# ## 5. Gradients of squared error on a sigmoid, and why it learns slowly
#
# Now the cost from the start of part 3, averaged over the examples:
#
# $$J_\text{SE} = \frac{1}{2N} \sum_{i=1}^{N} \big(\sigma(z_i) - t_i\big)^2, \qquad
#   \frac{\partial J_\text{SE}}{\partial z_i} = \frac1N\,(y_i - t_i)\,y_i\,(1 - y_i).$$
#
# The chain through $z_i = \mathbf{w}^\top\mathbf{x}_i + b$ is the same as in part 4:
# collect the per-example derivatives in a vector $\boldsymbol{\delta}$ $(N,)$; then
# $\partial J_\text{SE}/\partial\mathbf{w} = X^\top \boldsymbol{\delta}$ and
# $\partial J_\text{SE}/\partial b = \sum_i \delta_i$.
#
# Precision tip: when $y_i$ is close to 1, computing $1 - y_i$ throws away digits, while
# $\sigma(-z_i)$ is the same number computed directly.
#
# ### Your task: `squared_error_logistic_gradients(X, t, w, b)`
#
# Return `(dw, db)` for $J_\text{SE}$, with the shapes of `w` and `b`.

# %%
# kit: function squared_error_logistic_gradients

# %%
check("squared_error_logistic_gradients")

# %% [markdown]
# ### Comparing the two gradients
#
# Take a single positive example with a single feature, $X = [[1]]$ and $t = [1]$, and set
# $b = 0$. The logit is then $z = w$, so the gradient with respect to $w$ that your
# functions return *is* the derivative of the loss with respect to the logit. Sweep $z$
# and ask both of your gradient functions.

# %%
X_one = torch.tensor([[1.0]], dtype=torch.float64)
t_one = torch.tensor([1.0], dtype=torch.float64)
b_zero = torch.tensor(0.0, dtype=torch.float64)
z_sweep = torch.linspace(-10, 10, 201, dtype=torch.float64)
grad_ce, grad_se, loss_ce, loss_se = [], [], [], []
for z_value in z_sweep:
    w_one = z_value.reshape(1)
    grad_ce.append(logistic_gradients(X_one, t_one, w_one, b_zero)[0].abs().item())
    grad_se.append(squared_error_logistic_gradients(X_one, t_one, w_one, b_zero)[0].abs().item())
    loss_ce.append(binary_cross_entropy(X_one @ w_one + b_zero, t_one).item())
    loss_se.append(0.5 * (sigmoid(z_value) - 1).item() ** 2)

fig, (ax_loss, ax_grad) = plt.subplots(1, 2, figsize=(11, 4))
ax_loss.plot(z_sweep, loss_ce, label="cross-entropy")
ax_loss.plot(z_sweep, loss_se, label="squared error")
ax_loss.set_title("Loss of one positive example (t = 1)")
ax_loss.set_xlabel("logit z")
ax_loss.set_ylabel("loss")
ax_loss.legend()
ax_grad.semilogy(z_sweep, grad_ce, label="cross-entropy")
ax_grad.semilogy(z_sweep, grad_se, label="squared error")
ax_grad.set_title("Size of the gradient w.r.t. the logit (t = 1)")
ax_grad.set_xlabel("logit z")
ax_grad.set_ylabel("|dL/dz| (log scale)")
ax_grad.legend()
plt.tight_layout()
plt.show()

for z_value in [-10.0, -5.0, 0.0, 5.0]:
    i = int(torch.argmin((z_sweep - z_value).abs()))
    print(f"z = {z_value:5.1f}:  |dL/dz| cross-entropy {grad_ce[i]:.2e}   squared error {grad_se[i]:.2e}")

# %% [markdown]
# Far to the left the model is confidently wrong. Cross-entropy's gradient there is
# close to 1 in size, so gradient descent takes a full step towards the right answer,
# while the squared-error gradient is several orders of magnitude smaller and shrinks
# further the more wrong the model is. Squared error also caps the loss of a wrong answer
# at $\tfrac12$, so being 99.99% sure of the wrong class costs hardly more than being 90%
# sure of it.

# %% [markdown]
# ## 6. Gradient descent
#
# With the gradients in hand, training is the same loop as for linear regression. Start
# from $\mathbf{w} = \mathbf{0}$, $b = 0$ and repeat, with learning rate $\alpha$,
#
# $$\mathbf{w} \leftarrow \mathbf{w} - \alpha \frac{\partial J}{\partial \mathbf{w}},
#   \qquad b \leftarrow b - \alpha \frac{\partial J}{\partial b},$$
#
# where both gradients are evaluated at the *current* $(\mathbf{w}, b)$ before either is
# changed. The cross-entropy is convex in $(\mathbf{w}, b)$, so with a small enough
# learning rate the cost goes down at every step.
#
# A useful sanity check: at $\mathbf{w} = \mathbf{0}$, $b = 0$ every logit is 0 and every
# prediction is $\tfrac12$, so the starting cost is $\log 2 \approx 0.693$ for any data.
#
# ### Your task: `fit_logistic_regression(X, t, lr, num_steps)`
#
# Run `num_steps` steps of full-batch gradient descent on the cross-entropy and return
# `(w, b, costs)`. `costs` is a 1-D tensor of length `num_steps + 1`: `costs[0]` is the
# cost before any step and `costs[k]` the cost after $k$ steps. Reuse your
# `logistic_gradients` and `binary_cross_entropy`, and create the zeros with the dtype and
# device of `X` (for example `X.new_zeros(...)`), so that training also runs on a GPU.

# %%
# kit: function fit_logistic_regression

# %%
check("fit_logistic_regression")

# %% [markdown]
# ## 7. A decision boundary in two dimensions
#
# Two clouds of points drawn from Gaussians with different means, one per class. After
# training, the shading shows the model's probability $y$ of the positive class at every
# point of the plane and the black line is the decision boundary $y = \tfrac12$, i.e.
# $\mathbf{w}^\top\mathbf{x} + b = 0$.

# %%
gen = torch.Generator().manual_seed(0)
n_per_class = 100
X_neg = torch.randn(n_per_class, 2, generator=gen) + torch.tensor([-1.5, -1.0])
X_pos = torch.randn(n_per_class, 2, generator=gen) + torch.tensor([1.5, 1.0])
X_blobs = torch.cat([X_neg, X_pos])
t_blobs = torch.cat([torch.zeros(n_per_class), torch.ones(n_per_class)])

w_blobs, b_blobs, costs_blobs = fit_logistic_regression(X_blobs, t_blobs, lr=0.5, num_steps=300)
accuracy_blobs = ((logistic_predict(X_blobs, w_blobs, b_blobs) >= 0.5).float() == t_blobs).float().mean()
print("w =", w_blobs.tolist(), " b =", b_blobs.item())
print(f"cost {costs_blobs[0].item():.4f} -> {costs_blobs[-1].item():.4f}, "
      f"training accuracy {accuracy_blobs.item():.3f}")

g1, g2 = torch.meshgrid(torch.linspace(-5, 5, 201), torch.linspace(-5, 5, 201), indexing="xy")
grid_points = torch.stack([g1.reshape(-1), g2.reshape(-1)], dim=1)
grid_probs = logistic_predict(grid_points, w_blobs, b_blobs).reshape(g1.shape)

fig, ax = plt.subplots(figsize=(6, 5))
shading = ax.contourf(g1, g2, grid_probs, levels=20, cmap="RdBu_r", alpha=0.6)
ax.contour(g1, g2, grid_probs, levels=[0.5], colors="black")
ax.scatter(X_neg[:, 0], X_neg[:, 1], s=12, c="tab:blue", edgecolors="k", linewidths=0.3, label="t = 0")
ax.scatter(X_pos[:, 0], X_pos[:, 1], s=12, c="tab:red", edgecolors="k", linewidths=0.3, label="t = 1")
fig.colorbar(shading, ax=ax, label="predicted P(t = 1 | x)")
ax.set_title("Logistic regression on two Gaussian blobs")
ax.set_xlabel("$x_1$")
ax.set_ylabel("$x_2$")
ax.legend(loc="upper left")
plt.show()

# %% [markdown]
# ## 8. A real data set: breast cancer diagnosis
#
# scikit-learn ships the Wisconsin breast cancer data (no download needed): 569 tumours,
# each described by 30 measurements of cell nuclei, labelled malignant ($t = 0$) or
# benign ($t = 1$). We hold out 20% of the examples as a test set, chosen with a fixed
# seed.
#
# The features live on very different scales (some areas are in the thousands, some
# smoothness values around 0.1). With one learning rate for all weights, gradient descent
# would crawl along the small-scale directions, so we **standardise** every feature to
# mean 0 and standard deviation 1. The mean and standard deviation come from the
# training set only; the test set is transformed with the same numbers, as any new
# patient would be. Training runs on `DEVICE`: the GPU when there is one.

# %%
cancer = load_breast_cancer()
X_cancer = torch.as_tensor(cancer.data, dtype=torch.float32)
t_cancer = torch.as_tensor(cancer.target, dtype=torch.float32)  # 0 = malignant, 1 = benign
print("classes:", [str(name) for name in cancer.target_names], " X:", tuple(X_cancer.shape),
      " fraction benign:", round(t_cancer.mean().item(), 3))

order = torch.randperm(len(X_cancer), generator=torch.Generator().manual_seed(0))
n_train = int(0.8 * len(X_cancer))
train_idx, test_idx = order[:n_train], order[n_train:]
feature_mean = X_cancer[train_idx].mean(dim=0)
feature_std = X_cancer[train_idx].std(dim=0)
X_train = ((X_cancer[train_idx] - feature_mean) / feature_std).to(DEVICE)
X_test = ((X_cancer[test_idx] - feature_mean) / feature_std).to(DEVICE)
t_train = t_cancer[train_idx].to(DEVICE)
t_test = t_cancer[test_idx].to(DEVICE)

w_cancer, b_cancer, costs_cancer = fit_logistic_regression(X_train, t_train, lr=0.5, num_steps=1000)
print(f"training cost:     {costs_cancer[0].item():.4f} -> {costs_cancer[-1].item():.4f}")
for split, X_split, t_split in [("training", X_train, t_train), ("test", X_test, t_test)]:
    predicted_class = (logistic_predict(X_split, w_cancer, b_cancer) >= 0.5).to(t_split.dtype)
    print(f"{split + ' accuracy:':18} {(predicted_class == t_split).to(t_split.dtype).mean().item():.3f}")
print(f"test cost:         {binary_cross_entropy(X_test @ w_cancer + b_cancer, t_test).item():.4f}")

# %%
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(costs_cancer.cpu())
ax.set_yscale("log")
ax.set_title("Gradient descent on the breast cancer training set")
ax.set_xlabel("step")
ax.set_ylabel("mean cross-entropy (log scale)")
plt.show()

# %% [markdown]
# ## 9. Questions
#
# Answer each in a few sentences in the cell below it.
#
# **Q1.** Read off your plot in part 5: for a positive example with $z = -10$, about how
# large is $|\partial\mathcal{L}/\partial z|$ under squared error and under cross-entropy?
# Which factor of the chain rule makes the squared-error gradient small, and what does
# that mean for gradient descent started from a model that is confidently wrong?

# %% [markdown] tags=["answer:q1"]
# *Your answer here.*

# %% [markdown]
# **Q2.** Maximum likelihood multiplies the probabilities of all the observed targets, but
# we maximise the sum of their logarithms instead. Give a numerical reason (see the cell
# with 1000 examples in part 3) and a mathematical reason why this is allowed and why it
# does not change the parameters we find.

# %% [markdown] tags=["answer:q2"]
# *Your answer here.*

# %% [markdown]
# **Q3.** For a positive example, the cross-entropy $\operatorname{softplus}(z) - z$
# approaches a straight line as $z \to -\infty$ and approaches 0 as $z \to +\infty$. Which
# line, and how does its slope relate to the gradient $y - t$? Why is this growth better
# behaved for training than squared error's, which never exceeds $\tfrac12$?

# %% [markdown] tags=["answer:q3"]
# *Your answer here.*
