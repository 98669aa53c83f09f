"""Differential cases for ``autograd``: recording and training flags, grad_req, head
gradients, retain_graph, autograd.grad with create_graph (second order), detach and
stop_gradient, integer variables, graphs that backward() freed, edge-case gradients (relu at
NaN and 0, ties, clip bounds), custom Functions, and the gradient of every differentiable
operation of the nd surface.
"""

from __future__ import annotations

from textwrap import dedent

from tests.mxnet.harness import Case


def _c(out: list[Case], name: str, code: str, **kw) -> None:
    out.append(Case(name, dedent(code).strip(), **kw))


X = "x = nd.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.5]]); x.attach_grad()"

# op -> expression of x (2x3, attached) whose gradient through sum(expr * w) is compared
GRAD_OPS = {
    "exp": "nd.exp(x)", "log": "nd.log(nd.abs(x) + 1)", "sqrt": "nd.sqrt(nd.abs(x) + 1)",
    "square": "nd.square(x)", "abs": "nd.abs(x)", "sign": "nd.sign(x)", "relu": "nd.relu(x)",
    "sigmoid": "nd.sigmoid(x)", "tanh": "nd.tanh(x)", "sin": "nd.sin(x)", "cos": "nd.cos(x)",
    "tan": "nd.tan(x * 0.3)", "arcsin": "nd.arcsin(x * 0.2)", "arccos": "nd.arccos(x * 0.2)",
    "arctan": "nd.arctan(x)", "sinh": "nd.sinh(x)", "cosh": "nd.cosh(x)",
    "arcsinh": "nd.arcsinh(x)", "log1p": "nd.log1p(nd.abs(x))", "expm1": "nd.expm1(x)",
    "log2": "nd.log2(nd.abs(x) + 1)", "log10": "nd.log10(nd.abs(x) + 1)",
    "reciprocal": "nd.reciprocal(x)", "rsqrt": "nd.rsqrt(nd.abs(x) + 1)",
    "cbrt": "nd.cbrt(x)", "erf": "nd.erf(x)", "gammaln": "nd.gammaln(nd.abs(x) + 1)",
    "softsign": "nd.softsign(x)", "negative": "nd.negative(x)", "floor": "nd.floor(x)",
    "round": "nd.round(x)", "clip": "nd.clip(x, -1.0, 1.0)", "power": "nd.power(nd.abs(x), x)",
    "maximum": "nd.maximum(x, x * 0.5)", "minimum": "nd.minimum(x, 0.5)",
    "divide": "x / (nd.abs(x) + 1)", "modulo": "x % 1.5", "rpow": "2.0 ** x",
    "sum": "nd.sum(x, axis=1)", "mean": "nd.mean(x, axis=0)", "prod": "nd.prod(x, axis=1)",
    "max": "nd.max(x, axis=1)", "min": "nd.min(x, axis=0)", "norm": "nd.norm(x)",
    "norm_axis": "nd.norm(x, axis=1)", "nansum": "nd.nansum(x)",
    "softmax": "nd.softmax(x)", "log_softmax": "nd.log_softmax(x, axis=0)",
    "softmax_temperature": "nd.softmax(x, temperature=2.0)",
    "reshape": "x.reshape((3, 2))", "reshape_codes": "x.reshape((-1,))",
    "transpose": "x.T", "swapaxes": "nd.swapaxes(x, 0, 1)",
    "expand_dims": "nd.expand_dims(x, 1)", "flatten": "nd.flatten(x.reshape((2, 3, 1)))",
    "squeeze": "nd.squeeze(x.reshape((1, 2, 3)))",
    "broadcast_to": "nd.broadcast_to(x[0:1], (2, 3))",
    "tile": "nd.tile(x, (1, 2))", "repeat": "nd.repeat(x, 2, axis=0)", "flip": "nd.flip(x, 1)",
    "concat": "nd.concat(x, x * 2, dim=0)", "stack": "nd.stack(x, x * x)",
    "split": "nd.split(x, 3, axis=1)[1]", "slice": "x[1:, :2]", "index_int": "x[1]",
    "index_advanced": "x[[0, 1, 1], [2, 0, 0]]", "slice_axis": "nd.slice_axis(x, 1, 0, 2)",
    "take": "nd.take(x, nd.array([1, 1, 0]))", "pick": "nd.pick(x, nd.array([0, 2]))",
    "where": "nd.where(x > 0, x * x, -x)", "dot": "nd.dot(x, x.T)",
    "batch_dot": "nd.batch_dot(x.reshape((1, 2, 3)), x.reshape((1, 3, 2)))",
    "broadcast_add": "x + x[0:1]", "broadcast_mul": "x * x[:, 0:1]",
    "broadcast_div": "x / (x[:, 1:2] + 10)", "broadcast_sub": "x - x.sum(axis=0, keepdims=True)",
    "topk_value": "nd.topk(x, k=2, ret_typ='value')",
    "cast": "nd.cast(x, 'float64')", "astype": "x.astype('float64') * 2",
    "Activation": "nd.Activation(x, act_type='softrelu')",
    "LeakyReLU": "nd.LeakyReLU(x, act_type='leaky', slope=0.1)",
    "FullyConnected": "nd.FullyConnected(x, nd.ones((2, 3)), nd.zeros(2), num_hidden=2)",
    "Dropout_predict": "nd.Dropout(x, p=0.5)", "Dropout_train": "nd.Dropout(x, p=0.0)",
    "smooth_l1": "nd.smooth_l1(x, scalar=1.0)",
    "hard_sigmoid": "nd.hard_sigmoid(x)", "stop_gradient": "nd.stop_gradient(x) * x",
    "BlockGrad": "nd.BlockGrad(x) * x", "broadcast_like": "nd.broadcast_like(x[0:1], x)",
    "add_n": "nd.add_n(x, x, x)", "one_hot_mul": "nd.one_hot(nd.array([0, 2]), 3) * x",
    "cumsum": "nd.cumsum(x, axis=1)", "moveaxis": "nd.moveaxis(x, 0, 1)",
    "reverse": "nd.reverse(x, axis=0)", "diag": "nd.diag(x)", "square_sum": "(x ** 2).sum()",
    "reshape_like": "nd.reshape_like(x, nd.zeros((3, 2)))",
}


def op_gradients(out: list[Case]) -> None:
    for op, expr in GRAD_OPS.items():
        _c(out, f"autograd.grad_of/{op}", f"""
            {X}
            with autograd.record(train_mode={op != "Dropout_predict"}):
                y = {expr}
                w = nd.arange(y.size).reshape(y.shape) % 3 + 1
                loss = nd.sum(y * w.astype(y.dtype))
            loss.backward()
            out = {{'y': y, 'grad': x.grad}}
        """)


def flags(out: list[Case]) -> None:
    _c(out, "autograd.is_recording/outside", "out = (autograd.is_recording(), "
       "autograd.is_training())")
    _c(out, "autograd.record/flags", "with autograd.record():\n"
       "    out = (autograd.is_recording(), autograd.is_training())")
    _c(out, "autograd.record/predict", "with autograd.record(train_mode=False):\n"
       "    out = (autograd.is_recording(), autograd.is_training())")
    _c(out, "autograd.pause/flags", "with autograd.record():\n    with autograd.pause():\n"
       "        out = (autograd.is_recording(), autograd.is_training())")
    _c(out, "autograd.pause/train_mode", "with autograd.record():\n"
       "    with autograd.pause(train_mode=True):\n"
       "        out = (autograd.is_recording(), autograd.is_training())")
    _c(out, "autograd.pause/restores", "with autograd.record():\n    with autograd.pause():\n"
       "        pass\n    out = (autograd.is_recording(), autograd.is_training())")
    _c(out, "autograd.train_mode/flags", "with autograd.train_mode():\n"
       "    out = (autograd.is_recording(), autograd.is_training())")
    _c(out, "autograd.predict_mode/flags", "with autograd.record():\n"
       "    with autograd.predict_mode():\n"
       "        out = (autograd.is_recording(), autograd.is_training())")
    _c(out, "autograd.set_recording/returns_previous",
       "a = autograd.set_recording(True)\nb = autograd.set_recording(False)\nout = (a, b)")
    _c(out, "autograd.set_training/returns_previous",
       "a = autograd.set_training(True)\nb = autograd.set_training(False)\nout = (a, b)")
    _c(out, "autograd.pause/not_recorded", f"""
        {X}
        with autograd.record():
            y = x * 2
            with autograd.pause():
                z = y * 3
            w = y + z
        w.backward()
        out = x.grad
    """)
    _c(out, "autograd.record/nested", f"""
        {X}
        with autograd.record():
            with autograd.record():
                y = x * x
            z = y * 2
        z.backward()
        out = x.grad
    """)
    _c(out, "autograd.record/exception_restores", """
        try:
            with autograd.record():
                raise KeyError('k')
        except KeyError:
            pass
        out = autograd.is_recording()
    """)


def grad_req(out: list[Case]) -> None:
    two = """
        with autograd.record():
            y = x * x
        y.backward()
        with autograd.record():
            y = x * 3
        y.backward()
        out = x.grad
    """
    _c(out, "autograd.grad_req/write", f"{X}\n" + dedent(two))
    _c(out, "autograd.grad_req/add", X.replace("attach_grad()", "attach_grad(grad_req='add')")
       + "\n" + dedent(two))
    _c(out, "autograd.grad_req/null", X.replace("attach_grad()", "attach_grad(grad_req='null')")
       + "\nwith autograd.record():\n    y = x * x\ny.backward()\nout = x.grad")
    _c(out, "autograd.grad_req/null_with_other", """
        x = nd.array([1.0, 2.0]); x.attach_grad(grad_req='null')
        z = nd.array([3.0, 4.0]); z.attach_grad()
        with autograd.record():
            y = x * z
        y.backward()
        out = (x.grad, z.grad)
    """)
    _c(out, "autograd.grad_req/unknown", "x = nd.ones(2)\nx.attach_grad(grad_req='sometimes')\n"
       "out = x.grad")
    _c(out, "autograd.attach_grad/initial_zeros", f"{X}\nout = x.grad")
    _c(out, "autograd.attach_grad/int32_initial", "x = nd.array([1, 2], dtype='int32')\n"
       "x.attach_grad()\nout = x.grad")
    _c(out, "autograd.attach_grad/reattach_resets", f"""
        {X}
        with autograd.record():
            y = x * x
        y.backward()
        x.attach_grad()
        out = x.grad
    """)
    _c(out, "autograd.grad_req/add_then_zero", """
        x = nd.array([1.0, 2.0]); x.attach_grad(grad_req='add')
        for _ in range(3):
            with autograd.record():
                y = x * x
            y.backward()
        a = x.grad.copy()
        x.grad[:] = 0
        with autograd.record():
            y = x * x
        y.backward()
        out = (a, x.grad)
    """)
    _c(out, "autograd.mark_variables/basic", """
        x = nd.array([1.0, 2.0]); g = nd.zeros(2)
        autograd.mark_variables([x], [g])
        with autograd.record():
            y = x * x * x
        y.backward()
        out = g
    """)
    _c(out, "autograd.mark_variables/add", """
        x = nd.array([1.0, 2.0]); g = nd.ones(2)
        autograd.mark_variables(x, g, grad_reqs='add')
        with autograd.record():
            y = x * 2
        y.backward()
        out = g
    """)
    _c(out, "autograd.attach_grad/intermediate_new_leaf", f"""
        {X}
        with autograd.record():
            y = x * 2
        y.attach_grad()
        with autograd.record():
            z = y * y
        z.backward()
        out = (x.grad, y.grad)
    """)


def heads(out: list[Case]) -> None:
    _c(out, "autograd.backward/head_grad", f"""
        {X}
        with autograd.record():
            y = x * x
        y.backward(nd.array([[1.0, 0.0, 2.0], [0.5, 1.0, -1.0]]))
        out = x.grad
    """)
    _c(out, "autograd.backward/head_grad_other_shape_same_size", f"""
        {X}
        with autograd.record():
            y = x * 2
        y.backward(nd.arange(6).reshape((3, 2)))
        out = x.grad
    """)
    _c(out, "autograd.backward/head_grad_other_size", f"""
        {X}
        with autograd.record():
            y = x * 2
        y.backward(nd.ones((4,)))
        out = x.grad
    """)
    _c(out, "autograd.backward/head_grad_float64", f"""
        {X}
        with autograd.record():
            y = x * 2
        y.backward(nd.ones((2, 3), dtype='float64'))
        out = x.grad
    """)
    _c(out, "autograd.backward/function_heads", f"""
        {X}
        with autograd.record():
            y = x * 2
            z = x * x
        autograd.backward([y, z], [nd.ones((2, 3)), nd.ones((2, 3)) * 0.5])
        out = x.grad
    """)
    _c(out, "autograd.backward/function_no_head_grads", f"""
        {X}
        with autograd.record():
            y = x * 2
            z = x.sum()
        autograd.backward([y, z])
        out = x.grad
    """)
    _c(out, "autograd.backward/non_scalar_default_ones", f"""
        {X}
        with autograd.record():
            y = x * x
        y.backward()
        out = x.grad
    """)
    _c(out, "autograd.backward/train_mode_flag", f"""
        {X}
        with autograd.record():
            y = nd.Dropout(x, p=0.0) * x
        y.backward(train_mode=False)
        out = x.grad
    """)
    _c(out, "autograd.backward/mutate_after_record", """
        x = nd.array([1.0, 2.0]); x.attach_grad()
        with autograd.record():
            y = x * x
        x += 100
        y.backward()
        out = x.grad
    """)


def graphs(out: list[Case]) -> None:
    _c(out, "autograd.backward/retain_graph", f"""
        {X}
        with autograd.record():
            y = x * x
        y.backward(retain_graph=True)
        a = x.grad.copy()
        y.backward()
        out = (a, x.grad)
    """)
    _c(out, "autograd.backward/retain_graph_add", """
        x = nd.array([1.0, 2.0]); x.attach_grad(grad_req='add')
        with autograd.record():
            y = x * x
        y.backward(retain_graph=True)
        y.backward()
        out = x.grad
    """)
    _c(out, "autograd.backward/twice_without_retain", f"""
        {X}
        with autograd.record():
            y = x * x
        y.backward()
        y.backward()
        out = x.grad
    """)
    _c(out, "autograd.backward/not_recorded", f"{X}\ny = x * x\ny.backward()\nout = x.grad")
    _c(out, "autograd.backward/no_variable", """
        x = nd.array([1.0, 2.0])
        with autograd.record():
            y = x * x
        y.backward()
        out = y
    """)
    _c(out, "autograd.backward/freed_graph_value_as_constant", f"""
        {X}
        with autograd.record():
            y = x * 2
        y.backward()
        with autograd.record():
            z = y * x
        z.backward()
        out = (y, x.grad)
    """)
    _c(out, "autograd.backward/freed_graph_value_in_new_graph_with_ops", """
        x = nd.array([1.0, 2.0]); x.attach_grad()
        with autograd.record():
            y = nd.exp(x)
        y.backward()
        g1 = x.grad.copy()
        with autograd.record():
            z = (y + 1) * x * x
        z.backward()
        out = (g1, x.grad)
    """)
    _c(out, "autograd.backward/shared_subgraph_retain", """
        x = nd.array([1.0, 2.0]); x.attach_grad()
        with autograd.record():
            h = x * x
            a = h * 2
            b = h * 3
        a.backward(retain_graph=True)
        ga = x.grad.copy()
        b.backward()
        out = (ga, x.grad)
    """)
    _c(out, "autograd.detach/basic", f"""
        {X}
        with autograd.record():
            y = x * x
            z = y.detach() * x
        z.backward()
        out = x.grad
    """)
    _c(out, "autograd.detach/no_grad_through", """
        x = nd.array([1.0, 2.0]); x.attach_grad()
        with autograd.record():
            y = (x * 3).detach()
            z = y * y
        z.backward()
        out = x.grad
    """)
    _c(out, "autograd.stop_gradient/basic", f"""
        {X}
        with autograd.record():
            y = nd.stop_gradient(x * x) + x
        y.backward()
        out = x.grad
    """)
    _c(out, "autograd.integer/int32_grad", """
        x = nd.array([1, 2, 3], dtype='int32'); x.attach_grad()
        with autograd.record():
            y = x * x
        y.backward()
        out = x.grad
    """)
    _c(out, "autograd.integer/int64_grad", """
        x = nd.array([1, 2, 3], dtype='int64'); x.attach_grad()
        with autograd.record():
            y = x * 3 + x
        y.backward()
        out = x.grad
    """)
    _c(out, "autograd.float64/grad_dtype", """
        x = nd.array([1.0, 2.0], dtype='float64'); x.attach_grad()
        with autograd.record():
            y = nd.exp(x)
        y.backward()
        out = x.grad
    """)
    _c(out, "autograd.float16/grad_dtype", """
        x = nd.array([1.0, 2.0], dtype='float16'); x.attach_grad()
        with autograd.record():
            y = x * x
        y.backward()
        out = x.grad
    """)
    _c(out, "autograd.inplace/inside_record", f"""
        {X}
        with autograd.record():
            y = x * 2
            y += 1
            z = y * y
        z.backward()
        out = x.grad
    """)
    _c(out, "autograd.inplace/variable_inside_record", f"""
        {X}
        with autograd.record():
            x += 1
            z = x * x
        z.backward()
        out = x.grad
    """)
    _c(out, "autograd.inplace/setitem_inside_record", f"""
        {X}
        with autograd.record():
            y = x * 2
            y[0] = 0
            z = y * x
        z.backward()
        out = x.grad
    """)
    _c(out, "autograd.record/same_input_twice", """
        x = nd.array([3.0]); x.attach_grad()
        with autograd.record():
            y = x * x * x
        y.backward()
        out = x.grad
    """)
    _c(out, "autograd.record/unused_variable", """
        x = nd.array([3.0]); x.attach_grad()
        z = nd.array([1.0]); z.attach_grad()
        with autograd.record():
            y = x * 2
        y.backward()
        out = (x.grad, z.grad)
    """)


def higher_order(out: list[Case]) -> None:
    def second(name, expr, values="[0.5, 1.0, 2.0]"):
        _c(out, f"autograd.grad/second_order_{name}", f"""
            x = nd.array({values}); x.attach_grad()
            with autograd.record():
                y = {expr}
                g = autograd.grad(y, [x], create_graph=True, retain_graph=True)[0]
                s = g.sum()
            s.backward()
            out = {{'g': g, 'gg': x.grad}}
        """)
    for name, expr in [("cube", "x * x * x"), ("sin", "nd.sin(x)"), ("exp", "nd.exp(x)"),
                       ("log", "nd.log(x)"), ("tanh", "nd.tanh(x)"),
                       ("sigmoid", "nd.sigmoid(x)"), ("relu", "nd.relu(x) * x"),
                       ("power", "x ** 3"), ("reciprocal", "nd.reciprocal(x)"),
                       ("sqrt", "nd.sqrt(x)"), ("square", "nd.square(x)"),
                       ("log_softmax", "nd.log_softmax(x)"), ("softmax", "nd.softmax(x)"),
                       ("dot", "nd.dot(x, x)"), ("sum_sq", "(x * x).sum()")]:
        second(name, expr)
    _c(out, "autograd.grad/basic", f"""
        {X}
        with autograd.record():
            y = x * x
        out = autograd.grad(y, [x])
    """)
    _c(out, "autograd.grad/head_grads", f"""
        {X}
        with autograd.record():
            y = x * x
        out = autograd.grad(y, [x], head_grads=nd.ones((2, 3)) * 2)
    """)
    _c(out, "autograd.grad/single_variable_not_list", f"""
        {X}
        with autograd.record():
            y = x * x
        out = autograd.grad(y, x)
    """)
    _c(out, "autograd.grad/two_variables", """
        a = nd.array([1.0, 2.0]); a.attach_grad()
        b = nd.array([3.0, 4.0]); b.attach_grad()
        with autograd.record():
            y = a * b + a
        out = autograd.grad(y, [a, b])
    """)
    _c(out, "autograd.grad/does_not_touch_dot_grad", f"""
        {X}
        with autograd.record():
            y = x * x
        g = autograd.grad(y, [x])
        out = x.grad
    """)
    _c(out, "autograd.grad/retain_graph_twice", f"""
        {X}
        with autograd.record():
            y = x * x
        a = autograd.grad(y, [x], retain_graph=True)[0]
        b = autograd.grad(y, [x])[0]
        out = (a, b)
    """)
    _c(out, "autograd.grad/twice_without_retain", f"""
        {X}
        with autograd.record():
            y = x * x
        a = autograd.grad(y, [x])[0]
        b = autograd.grad(y, [x])[0]
        out = (a, b)
    """)
    _c(out, "autograd.grad/unused_variable", """
        a = nd.array([1.0, 2.0]); a.attach_grad()
        b = nd.array([3.0, 4.0]); b.attach_grad()
        with autograd.record():
            y = a * 2
        out = autograd.grad(y, [a, b])
    """)
    _c(out, "autograd.grad/create_graph_outside_record", """
        x = nd.array([1.0, 2.0]); x.attach_grad()
        with autograd.record():
            y = x * x * x
        g = autograd.grad(y, [x], create_graph=True)[0]
        out = g
    """)


def edges(out: list[Case]) -> None:
    def grad(name, make, expr, head=""):
        _c(out, f"autograd.{name}", f"""
            x = nd.array({make}); x.attach_grad()
            with autograd.record():
                y = {expr}
            y.backward({head})
            out = x.grad
        """)
    grad("relu/grad_at_nan", "[np.nan, -1.0, 0.0, 1.0]", "nd.relu(x)")
    grad("relu/grad_at_zero", "[0.0, -0.0]", "nd.relu(x)")
    grad("abs/grad_at_zero", "[0.0, -0.0, 2.0]", "nd.abs(x)")
    grad("sign/grad", "[0.0, -1.0, 2.0]", "nd.sign(x)")
    grad("sqrt/grad_at_zero", "[0.0, 4.0]", "nd.sqrt(x)")
    grad("prod/grad_with_zero", "[0.0, 2.0, 3.0]", "nd.prod(x)")
    grad("prod/grad_two_zeros", "[0.0, 0.0, 3.0]", "nd.prod(x)")
    grad("clip/grad_at_bounds", "[-1.0, -0.5, 1.0, 2.0]", "nd.clip(x, -1.0, 1.0)")
    grad("maximum/tie_gradient", "[1.0, 2.0, 3.0]", "nd.maximum(x, nd.array([1.0, 0.0, 3.0]))")
    grad("minimum/tie_gradient", "[1.0, 2.0, 3.0]", "nd.minimum(x, nd.array([1.0, 5.0, 3.0]))")
    grad("maximum/same_array", "[1.0, 2.0]", "nd.maximum(x, x)")
    grad("max/tie_gradient", "[[1.0, 3.0, 3.0], [2.0, 0.0, 0.0]]", "nd.max(x, axis=1)")
    grad("min/tie_gradient", "[[1.0, 3.0, 1.0], [2.0, 0.0, 0.0]]", "nd.min(x, axis=1)")
    grad("max/tie_gradient_full", "[3.0, 3.0, 1.0]", "nd.max(x)")
    grad("max/no_tie", "[[1.0, 3.0, 2.0], [2.0, 0.0, 5.0]]", "nd.max(x, axis=1)")
    grad("log/grad_at_zero", "[0.0, 1.0]", "nd.log(x)")
    grad("sigmoid/saturated", "[-100.0, 100.0]", "nd.sigmoid(x)")
    grad("tanh/saturated", "[-100.0, 100.0]", "nd.tanh(x)")
    grad("norm/grad_at_zero", "[0.0, 0.0]", "nd.norm(x)")
    grad("softmax/saturated", "[1000.0, 0.0]", "nd.softmax(x)", "nd.array([1.0, 0.0])")
    grad("power/zero_base", "[0.0, 1.0]", "x ** 2.0")
    grad("power/zero_exponent", "[0.0, 1.0]", "x ** 0.0")
    grad("rpow/base", "[0.0, 1.0]", "nd.power(2.0, x)")
    grad("floor/grad", "[0.5, 1.5]", "nd.floor(x)")
    grad("take/repeated_index", "[1.0, 2.0, 3.0]", "nd.take(x, nd.array([0, 0, 2]))")
    grad("pick/out_of_range_clip", "[[1.0, 2.0], [3.0, 4.0]]", "nd.pick(x, nd.array([5, -1]))")
    grad("one_hot/no_grad", "[0.0, 1.0]", "nd.one_hot(x, 2) * 3")
    grad("index/repeated_advanced", "[1.0, 2.0, 3.0]", "x[[0, 0, 1]]")
    grad("mean/int_axis_none", "[[1.0, 2.0], [3.0, 4.0]]", "nd.mean(x)")
    grad("sum/exclude", "[[1.0, 2.0], [3.0, 4.0]]", "nd.sum(x, axis=0, exclude=True)")
    _c(out, "autograd.Function/sigmoid", """
        class Sigmoid(autograd.Function):
            def forward(self, x):
                y = 1 / (1 + nd.exp(-x))
                self.save_for_backward(y)
                return y

            def backward(self, dy):
                y, = self.saved_tensors
                return dy * y * (1 - y)

        x = nd.array([-1.0, 0.0, 2.0]); x.attach_grad()
        with autograd.record():
            y = Sigmoid()(x)
        y.backward()
        out = (y, x.grad)
    """)
    _c(out, "autograd.Function/two_outputs", """
        class Split(autograd.Function):
            def forward(self, x):
                return x * 2, x * 3

            def backward(self, da, db):
                return da * 2 + db * 3

        x = nd.array([1.0, 2.0]); x.attach_grad()
        with autograd.record():
            a, b = Split()(x)
            y = a + b * b
        y.backward()
        out = x.grad
    """)



def cases() -> list[Case]:
    out: list[Case] = []
    for part in (flags, grad_req, heads, graphs, higher_order, edges, op_gradients):
        part(out)
    return out
