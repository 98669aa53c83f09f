"""The seed notebook: automatic differentiation, MXNet 1.x style (d2l's autograd chapter).

Each cell prints what MXNet 1.9.1 prints for the same code. Run: ``make demo``.
The test suite runs this file and compares the printed text of every deterministic cell.
"""

from tracegrad import autograd, nd


def cell(title: str) -> None:
    print(f"\n## {title}")


cell("A simple example")
x = nd.arange(4).reshape((4, 1))
print(x)
x.attach_grad()
with autograd.record():
    y = 2 * nd.dot(x.T, x)
print(y)
y.backward()
print((x.grad - 4 * x).norm().asscalar() == 0)
print(x.grad)

cell("A vector: x.T is x itself, and dot of two vectors has shape (1,)")
v = nd.arange(4)
v.attach_grad()
with autograd.record():
    s = 2 * nd.dot(v.T, v)
print(s)
s.backward()
print(v.grad)

cell("Training mode and prediction mode")
print(autograd.is_training())
with autograd.record():
    print(autograd.is_training())

cell("Head gradients and the chain rule")
x = nd.array([[1, 2], [3, 4]])
x.attach_grad()
with autograd.record():
    y = x * 2
    z = y * x
head_gradient = nd.array([[10, 1.0], [0.1, 0.01]])
z.backward(head_gradient)
print(x.grad)

cell("Chain rule by hand: attaching a gradient to y makes it a new leaf")
with autograd.record():
    y = x * 2
y.attach_grad()
with autograd.record():
    z = y * x
z.backward()
print(y.grad)  # dz/dy = x
print(x.grad)  # dz/dx with y held fixed = y = 2x
dz_dy = y.grad.copy()
with autograd.record():
    y = x * 2
y.backward(dz_dy)  # the chain rule: dz/dx through y = dz/dy * dy/dx = 2x
print(x.grad)


def f(a):
    b = a * 2
    while b.norm().asscalar() < 1000:
        b = b * 2
    if b.sum().asscalar() > 0:
        c = b
    else:
        c = 100 * b
    return c


cell("Python control flow")
a = nd.array([0.29956347])
a.attach_grad()
with autograd.record():
    c = f(a)
c.backward()
print(a.grad)
print(a.grad == c / a)

cell("Python control flow with a random input (not deterministic)")
a = nd.random.normal(shape=1)
a.attach_grad()
with autograd.record():
    c = f(a)
c.backward()
print(a.grad == c / a)
