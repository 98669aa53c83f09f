"""Differential cases for ``tracegrad.gluon``: code that runs unchanged on MXNet 1.9.1 and on
tracegrad (``mx`` is ``mxnet`` or ``tracegrad``), filling ``out`` with results.

``python tests/gluon/cases.py OUT.json`` run with MXNet's interpreter writes every case's
results; ``expected_mxnet.json`` beside this file holds them, so the tests compare tracegrad
with MXNet's numbers without MXNet installed (and re-check them when it is). This module
imports neither framework at the top.
"""

from __future__ import annotations

import json
import sys
from textwrap import dedent

import numpy as np

PRELUDE = dedent('''
    import numpy as np
    nd, gluon, autograd = mx.nd, mx.gluon, mx.autograd
    nn = gluon.nn

    def fill(block, seed):
        """Deterministic values for every parameter, in collect_params() order."""
        rng = np.random.RandomState(seed)
        for name, p in block.collect_params().items():
            lo, hi = (0.5, 1.5) if name.endswith(("running_var", "gamma")) else (-0.5, 0.5)
            p.set_data(nd.array(rng.uniform(lo, hi, p.shape).astype("float32")))

    def arr(seed, shape, lo=-1.0, hi=1.0):
        return nd.array(np.random.RandomState(seed).uniform(lo, hi, shape).astype("float32"))

    def run_layer(block, inputs, seed=7, hybrid=False, train=True):
        """Forward under record, backward with a fixed head gradient: the output, the
        input gradients and the parameter gradients (in collect_params() order)."""
        if hybrid:
            block.hybridize()
        for x in inputs:
            x.attach_grad()
        with autograd.record(train_mode=train):
            y = block(*inputs)
        head = arr(seed + 100, y.shape)
        y.backward(head)
        res = {"out": y.asnumpy()}
        for i, x in enumerate(inputs):
            res["dx%d" % i] = x.grad.asnumpy()
        for k, p in enumerate(block.collect_params().values()):
            res["p%d" % k] = p.data().asnumpy()
            if p.grad_req != "null":
                res["g%d" % k] = p.grad().asnumpy()
        return res
''')

LAYERS = {
    "dense": ("nn.Dense(4, in_units=6)", [(3, 6)]),
    "dense_flatten": ("nn.Dense(4, in_units=6)", [(3, 2, 3)]),
    "dense_noflatten": ("nn.Dense(4, flatten=False, in_units=3)", [(2, 5, 3)]),
    "dense_nobias_act": ("nn.Dense(4, use_bias=False, activation='tanh', in_units=5)",
                         [(3, 5)]),
    "dense_deferred": ("nn.Dense(3, activation='relu')", [(4, 5)]),
    "act_relu": ("nn.Activation('relu')", [(3, 4)]),
    "act_sigmoid": ("nn.Activation('sigmoid')", [(3, 4)]),
    "act_tanh": ("nn.Activation('tanh')", [(3, 4)]),
    "act_softrelu": ("nn.Activation('softrelu')", [(3, 4)]),
    "act_softsign": ("nn.Activation('softsign')", [(3, 4)]),
    "leakyrelu": ("nn.LeakyReLU(0.1)", [(3, 4)]),
    "prelu": ("nn.PReLU()", [(3, 4)]),
    "prelu_channels": ("nn.PReLU(in_channels=3)", [(2, 3, 4)]),
    "elu": ("nn.ELU(0.7)", [(3, 4)]),
    "selu": ("nn.SELU()", [(3, 4)]),
    "swish": ("nn.Swish(1.5)", [(3, 4)]),
    "flatten": ("nn.Flatten()", [(2, 3, 4)]),
    "layernorm": ("nn.LayerNorm(in_channels=5)", [(3, 5)]),
    "layernorm_axis1": ("nn.LayerNorm(axis=1, in_channels=3)", [(2, 3, 4)]),
    "batchnorm": ("nn.BatchNorm(in_channels=4, momentum=0.8)", [(6, 4)]),
    "batchnorm_4d": ("nn.BatchNorm(in_channels=3)", [(2, 3, 2, 2)]),
    "batchnorm_noscale": ("nn.BatchNorm(in_channels=4, center=False, scale=False)", [(6, 4)]),
    "batchnorm_global": ("nn.BatchNorm(in_channels=4, use_global_stats=True)", [(6, 4)]),
    "hybridlambda": ("nn.HybridLambda(lambda F, x: F.tanh(x) * 2)", [(3, 4)]),
    "sequential": ("nn.HybridSequential(prefix='seq_')", [(4, 5)]),
    "gelu": ("nn.GELU()", [(3, 4)]),
    "instancenorm": ("nn.InstanceNorm(in_channels=3, scale=True)", [(2, 3, 4)]),
    "instancenorm_axis2": ("nn.InstanceNorm(axis=2, in_channels=4, center=False)",
                           [(2, 3, 4, 5)]),
    "groupnorm": ("nn.GroupNorm(num_groups=2)", [(2, 4, 3, 3)]),
    "reflectionpad": ("nn.ReflectionPad2D(2)", [(1, 2, 4, 5)]),
    "pixelshuffle1d": ("gluon.contrib.nn.PixelShuffle1D(3)", [(2, 6, 4)]),
    "pixelshuffle2d": ("gluon.contrib.nn.PixelShuffle2D((2, 3))", [(1, 12, 2, 3)]),
    "pixelshuffle3d": ("gluon.contrib.nn.PixelShuffle3D(2)", [(1, 16, 2, 1, 3)]),
    "syncbatchnorm": ("gluon.contrib.nn.SyncBatchNorm(in_channels=3, num_devices=1)",
                      [(4, 3, 2)]),
    "concurrent": ("gluon.contrib.nn.HybridConcurrent(axis=1, prefix='cc_')", [(4, 5)]),
    "rnn_tanh": ("gluon.rnn.RNN(4, activation='tanh', input_size=3)", [(5, 2, 3)]),
    "rnn_relu_bi_2layers": ("gluon.rnn.RNN(3, num_layers=2, bidirectional=True)",
                            [(4, 2, 3)]),
    "lstm": ("gluon.rnn.LSTM(4, input_size=3)", [(5, 2, 3)]),
    "lstm_ntc_bi_2layers": ("gluon.rnn.LSTM(3, num_layers=2, layout='NTC', "
                            "bidirectional=True)", [(2, 5, 3)]),
    "gru": ("gluon.rnn.GRU(4, input_size=3)", [(5, 2, 3)]),
    "gru_ntc_2layers": ("gluon.rnn.GRU(3, num_layers=2, layout='NTC')", [(2, 4, 3)]),
}
DEFERRED = ("dense_deferred", "sequential", "rnn_relu_bi_2layers", "lstm_ntc_bi_2layers",
            "gru_ntc_2layers")


def layer_code(name: str, hybrid: bool, train: bool = True) -> str:
    make, shapes = LAYERS[name]
    lines = [f"block = {make}"]
    if name == "sequential":
        lines.append("with block.name_scope():\n"
                     "    block.add(nn.Dense(6, activation='relu'), nn.BatchNorm(),\n"
                     "              nn.Dense(3, in_units=6))")
    if name == "concurrent":
        lines.append("with block.name_scope():\n"
                     "    block.add(nn.Dense(3, in_units=5), gluon.contrib.nn.Identity(),\n"
                     "              nn.Dense(2, activation='tanh', in_units=5))")
    lines.append("block.initialize()")
    inputs = ", ".join(f"arr({i + 1}, {s!r}, -2, 2)" for i, s in enumerate(shapes))
    if name in DEFERRED:  # one forward infers the shapes
        lines.append(f"block({inputs})")
    lines.append("fill(block, 3)")
    lines.append(f"res = run_layer(block, [{inputs}], hybrid={hybrid}, train={train})")
    lines.append("out.update(res)")
    if name.startswith("batchnorm") or name == "sequential":
        lines.append(f"out['predict'] = block({inputs}).asnumpy()")
    return "\n".join(lines)


LOSSES = {
    "l2": ("gluon.loss.L2Loss()", (4, 3), "arr(9, (4, 3))", None),
    "l2_weighted": ("gluon.loss.L2Loss(weight=0.5)", (4, 3), "arr(9, (4, 3))",
                    "arr(10, (4, 1), 0, 1)"),
    "l1": ("gluon.loss.L1Loss()", (4, 3), "arr(9, (4, 3))", None),
    "l1_sample_weight": ("gluon.loss.L1Loss()", (4, 3), "arr(9, (4, 3))",
                         "arr(10, (4, 1), 0, 1)"),
    "softmax_ce": ("gluon.loss.SoftmaxCrossEntropyLoss()", (4, 5),
                   "nd.array([0, 3, 4, 1])", None),
    "softmax_ce_dense": ("gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=False)", (4, 5),
                         "nd.softmax(arr(9, (4, 5)))", None),
    "softmax_ce_axis": ("gluon.loss.SoftmaxCrossEntropyLoss(axis=1)", (2, 3, 4),
                        "nd.array([[0, 1, 2, 0], [2, 2, 1, 0]])", None),
    "softmax_ce_logits": ("gluon.loss.SoftmaxCrossEntropyLoss(from_logits=True, weight=2.0)",
                          (4, 5), "nd.array([0, 3, 4, 1])", "arr(10, (4, 1), 0, 1)"),
    "softmax_ce_batch_axis": ("gluon.loss.SoftmaxCrossEntropyLoss(axis=0, batch_axis=1)",
                              (5, 3), "nd.array([0, 4, 2])", None),
    "sigmoid_bce": ("gluon.loss.SigmoidBinaryCrossEntropyLoss()", (4, 3),
                    "nd.array(np.random.RandomState(4).randint(0, 2, (4, 3)))", None),
    "sigmoid_bce_large": ("gluon.loss.SigmoidBCELoss()", (2, 3),
                          "nd.array([[1, 0, 1], [0, 1, 0]])", None),
    "sigmoid_bce_from_sigmoid": ("gluon.loss.SigmoidBinaryCrossEntropyLoss(from_sigmoid=True)",
                                 (4, 3), "nd.array(np.random.RandomState(4).randint(0, 2, "
                                 "(4, 3)))", None),
    "huber": ("gluon.loss.HuberLoss(rho=0.5)", (4, 3), "arr(9, (4, 3))", None),
    "kldiv": ("gluon.loss.KLDivLoss()", (4, 5), "nd.softmax(arr(9, (4, 5)))", None),
    "kldiv_logits": ("gluon.loss.KLDivLoss(from_logits=False)", (4, 5),
                     "nd.softmax(arr(9, (4, 5)))", None),
}


def loss_code(name: str, hybrid: bool) -> str:
    make, shape, label, weight = LOSSES[name]
    pred = f"arr(8, {shape!r}, -2, 2)"
    if name == "sigmoid_bce_large":
        pred = "nd.array([[40.0, -40.0, -30.0], [25.0, 0.5, -0.25]])"
    if name == "sigmoid_bce_from_sigmoid":
        pred = f"nd.sigmoid({pred})"
    args = "pred, label" + (", sw" if weight else "")
    return "\n".join([
        f"L = {make}", "if %s: L.hybridize()" % hybrid, f"pred = {pred}", f"label = {label}",
        f"sw = {weight or 'None'}", "pred.attach_grad()",
        f"with autograd.record():\n    l = L({args})",
        "l.backward()", "out['loss'] = l.asnumpy()", "out['dpred'] = pred.grad.asnumpy()"])


OPTIMIZERS = {
    "sgd": ("sgd", {"learning_rate": 0.1}),
    "sgd_wd": ("sgd", {"learning_rate": 0.1, "wd": 0.01}),
    "sgd_momentum_clip": ("sgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.001,
                                  "clip_gradient": 0.05}),
    "nag": ("nag", {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01}),
    "nag_plain": ("nag", {"learning_rate": 0.1, "clip_gradient": 0.1}),
    "adam": ("adam", {"learning_rate": 0.01, "wd": 0.01}),
    "adam_clip": ("adam", {"learning_rate": 0.01, "clip_gradient": 0.05, "beta1": 0.8}),
    "rmsprop": ("rmsprop", {"learning_rate": 0.01, "wd": 0.01}),
    "rmsprop_centered": ("rmsprop", {"learning_rate": 0.01, "centered": True,
                                     "clip_weights": 0.6}),
    "adagrad": ("adagrad", {"learning_rate": 0.1, "wd": 0.01}),
    "adadelta": ("adadelta", {"wd": 0.01, "clip_gradient": 1.0}),
    "sgd_lr_mult_scheduler": ("sgd", {"learning_rate": 0.2, "momentum": 0.5,
                                      "lr_scheduler": "FACTOR"}),
}


def trainer_code(name: str, hybrid: bool) -> str:
    opt, params = OPTIMIZERS[name]
    params_src = repr(params).replace("'FACTOR'", "mx.lr_scheduler.FactorScheduler(2, 0.5)")
    return dedent(f'''
        net = nn.HybridSequential(prefix="opt_")
        with net.name_scope():
            net.add(nn.Dense(5, activation="relu", in_units=4), nn.Dense(3, in_units=5))
        net.initialize()
        fill(net, 11)
        if "{name}" == "sgd_lr_mult_scheduler":
            net[1].weight.lr_mult = 0.5
            net[0].bias.wd_mult = 0.0
        if {hybrid}:
            net.hybridize()
        trainer = gluon.Trainer(net.collect_params(), "{opt}", {params_src})
        L = gluon.loss.SoftmaxCrossEntropyLoss()
        X, Y = arr(12, (6, 4)), nd.array([0, 1, 2, 1, 0, 2])
        for step in range(5):
            with autograd.record():
                loss = L(net(X), Y)
            loss.backward()
            trainer.step(6)
            out["loss%d" % step] = loss.asnumpy()
            for k, p in enumerate(net.collect_params().values()):
                out["s%d_p%d" % (step, k)] = p.data().asnumpy()
        out["lr"] = np.array(trainer.learning_rate)
    ''')


MLP = dedent('''
    net = nn.Sequential()
    with net.name_scope():
        net.add(nn.Dense(16, activation="relu"), nn.Dense(3))
    net.initialize(mx.init.Xavier())
    X = arr(20, (60, 8), -2, 2)
    Y = nd.array((X.asnumpy()[:, 0] > 0).astype("float32") + (X.asnumpy()[:, 1] > 1))
    net(X[:2])
    fill(net, 21)
    if HYBRID:
        net.hybridize()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.5,
                                                          "momentum": 0.9})
    L = gluon.loss.SoftmaxCrossEntropyLoss()
    data = gluon.data.DataLoader(gluon.data.ArrayDataset(X, Y), batch_size=16)
    losses = []
    for epoch in range(3):
        for xb, yb in data:
            with autograd.record():
                loss = L(net(xb), yb)
            loss.backward()
            trainer.step(xb.shape[0])
            losses.append(loss.mean().asscalar())
    out["losses"] = np.array(losses)
''')

SCHEDULERS = dedent('''
    ls = mx.lr_scheduler
    scheds = {
        "factor": ls.FactorScheduler(3, 0.5, stop_factor_lr=0.02, base_lr=0.2),
        "factor_warmup": ls.FactorScheduler(3, 0.5, base_lr=0.2, warmup_steps=4,
                                            warmup_begin_lr=0.01),
        "multifactor": ls.MultiFactorScheduler([2, 5, 7], 0.3, base_lr=1.0),
        "poly": ls.PolyScheduler(12, base_lr=0.5, pwr=2, final_lr=0.01, warmup_steps=3),
        "cosine": ls.CosineScheduler(12, base_lr=0.5, final_lr=0.05, warmup_steps=3,
                                     warmup_mode="constant", warmup_begin_lr=0.1),
    }
    for k, s in scheds.items():
        out[k] = np.array([s(n) for n in range(0, 16)])
''')

TEXT = dedent('''
    import io, contextlib
    net = nn.HybridSequential(prefix="model_")
    with net.name_scope():
        net.add(nn.Dense(4, activation="relu"), nn.BatchNorm(), nn.Dropout(0.5),
                nn.Dense(2, use_bias=False))
        net.add(nn.LayerNorm(), nn.Embedding(10, 3), nn.Flatten(), nn.LeakyReLU(0.1))
    out["repr"] = repr(net)
    out["params_repr"] = repr(net.collect_params())
    out["names"] = " ".join(net.collect_params().keys())
    out["weights"] = " ".join(net.collect_params(".*weight").keys())
    out["structural"] = " ".join(sorted(net._collect_params_with_prefix().keys()))
    small = nn.HybridSequential(prefix="s_")
    with small.name_scope():
        small.add(nn.Dense(3, activation="tanh", in_units=5), nn.Dense(2, in_units=3))
    small.initialize()
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        small.summary(nd.ones((2, 5)))
    out["summary"] = buf.getvalue()
    out["repr_after"] = repr(small)
    out["param"] = repr(gluon.Parameter("w", shape=(2, 3)))
    out["loss_repr"] = repr(gluon.loss.SoftmaxCrossEntropyLoss())
    out["xavier"] = mx.init.Xavier(factor_type="in", magnitude=2.0).dumps()
''')


RNN_STATES = dedent('''
    # given states: (outputs, new states), their gradients, the state shape check, and the
    # parameter names that files use (MXNet's unfused cells)
    for name, make in (("lstm", "gluon.rnn.LSTM(3, input_size=2, bidirectional=True)"),
                       ("gru", "gluon.rnn.GRU(3, input_size=2, num_layers=2)"),
                       ("rnn", "gluon.rnn.RNN(3, input_size=2)")):
        block = eval(make)
        block.initialize()
        fill(block, 4)
        if HYBRID:
            block.hybridize()
        x = arr(5, (4, 2, 2))
        states = [arr(6 + i, s.shape) for i, s in enumerate(block.begin_state(2))]
        for s in [x] + states:
            s.attach_grad()
        with autograd.record():
            y, new = block(x, states)
            total = (y * arr(9, y.shape)).sum() + sum((s * s).sum() for s in new)
        total.backward()
        out[name + "_y"] = y.asnumpy()
        for i, s in enumerate(new):
            out[name + "_state%d" % i] = s.asnumpy()
            out[name + "_dstate%d" % i] = states[i].grad.asnumpy()
        out[name + "_dx"] = x.grad.asnumpy()
        out[name + "_keys"] = " ".join(sorted(block._collect_params_with_prefix().keys()))
        out[name + "_repr"] = repr(block)
        if not HYBRID:  # a hybridized MXNet block checks in its engine, not in Python
            try:
                block(x, [arr(7, (5, 2, 3))] * len(states))
                out[name + "_bad_state"] = "no error"
            except ValueError as e:
                out[name + "_bad_state"] = str(e).split("Expecting")[0]
''')


IO_ITER = dedent('''
    # mx.io.NDArrayIter: batches, pads and names for each last_batch_handle, over two
    # epochs (roll_over carries samples into the next), dicts and lists of inputs
    X = np.arange(14, dtype="float32").reshape(7, 2)
    Y = np.arange(7, dtype="float32") * 10
    for handle in ("pad", "discard", "roll_over"):
        it = mx.io.NDArrayIter({"x": X, "a": Y + 1}, Y, batch_size=3, last_batch_handle=handle)
        rows = []
        for epoch in range(3):
            for b in it:
                rows.append(np.concatenate([b.data[0].asnumpy().ravel(),
                                            b.data[1].asnumpy().ravel(),
                                            b.label[0].asnumpy().ravel(), [b.pad]]))
            it.reset()
        out[handle] = np.array(rows)
        out[handle + "_provide"] = repr(it.provide_data) + repr(it.provide_label)
    it = mx.io.NDArrayIter([X, X * 2], batch_size=4, label_name="lbl")
    batch = next(iter(it))
    out["list_names"] = " ".join(d.name for d in it.provide_data) + " " + str(batch)
    big = mx.io.NDArrayIter(X[:2], Y[:2], batch_size=5)  # padded beyond the data size
    b = next(big)
    out["pad_beyond"] = np.concatenate([b.data[0].asnumpy().ravel(), [b.pad]])
''')


MORE_LOSSES = dedent('''
    # losses taking other arguments than (pred, label): values and gradients
    L = gluon.loss
    def run(name, loss, *args):
        for a in args:
            a.attach_grad()
        with autograd.record():
            value = loss(*args)
        value.backward()
        out[name] = value.asnumpy()
        for i, a in enumerate(args):
            out[name + "_d%d" % i] = a.grad.asnumpy()
    run("triplet", L.TripletLoss(margin=0.5), arr(30, (4, 3)), arr(31, (4, 3)),
        arr(32, (4, 3)))
    run("poisson", L.PoissonNLLLoss(), arr(33, (4, 3)), arr(34, (4, 3), 0, 3))
    run("poisson_probs", L.PoissonNLLLoss(from_logits=False), arr(35, (4, 3), 0.5, 2),
        arr(36, (4, 3), 0, 4))  # (compute_full fails under autograd in MXNet 1.9.1)
    a, b = arr(37, (4, 5)), arr(38, (4, 5))
    a.attach_grad()
    with autograd.record():
        c = L.CosineEmbeddingLoss(margin=0.1)(a, b, nd.array([1, -1, 1, -1]))
    c.backward()
    out["cosine"], out["cosine_d0"] = c.asnumpy(), a.grad.asnumpy()
    pred = arr(39, (2, 6, 4))  # NTC scores, blank is the last class
    label = nd.array([[0, 1, 1], [2, 0, -1]])
    pred.attach_grad()
    with autograd.record():
        ctc = L.CTCLoss()(pred, label)
    ctc.backward()
    out["ctc"], out["ctc_dpred"] = ctc.asnumpy(), pred.grad.asnumpy()
    pred.attach_grad()
    with autograd.record():
        ctc = L.CTCLoss(layout="TNC")(nd.swapaxes(pred, 0, 1), label, nd.array([6, 5]),
                                       nd.array([3, 2]))
    ctc.backward()
    out["ctc_lengths"], out["ctc_lengths_dpred"] = ctc.asnumpy(), pred.grad.asnumpy()
''')


RNN_CELLS = dedent('''
    rnn = gluon.rnn
    x = arr(11, (2, 4, 3))  # NTC

    def grads(block, *arrays):
        res = [a.grad.asnumpy() for a in arrays]
        return res + [p.grad().asnumpy() for p in block.collect_params().values()
                      if p.grad_req != "null"]

    def record(name, block, run):
        x.attach_grad()
        with autograd.record():
            y = run()
            outs = y[0] if isinstance(y[0], list) else [y[0]]
            total = sum((o * arr(20 + i, o.shape)).sum() for i, o in enumerate(outs))
            total = total + sum((s * s).sum() for s in y[1])
        total.backward()
        for i, o in enumerate(outs):
            out[name + "_out%d" % i] = o.asnumpy()
        for i, s in enumerate(y[1]):
            out[name + "_state%d" % i] = s.asnumpy()
        for i, g in enumerate(grads(block, x)):
            out[name + "_grad%d" % i] = g
        out[name + "_repr"] = repr(block)
        out[name + "_names"] = " ".join(block.collect_params().keys())

    cells = {"rnn_relu": "rnn.RNNCell(5, activation='relu', prefix='a_')",
             "rnn_tanh": "rnn.RNNCell(5, input_size=3, prefix='b_')",
             "lstm": "rnn.LSTMCell(5, prefix='c_')",
             "gru": "rnn.GRUCell(5, prefix='d_')"}
    for name, make in cells.items():
        cell = eval(make)
        cell.initialize()
        cell(x[:, 0], cell.begin_state(2))  # deferred shapes
        fill(cell, 12)
        record(name + "_merged", cell, lambda: cell.unroll(4, x, merge_outputs=True))
        record(name + "_steps_tnc", cell,
               lambda: cell.unroll(4, nd.swapaxes(x, 0, 1), layout="TNC", merge_outputs=False))
        out[name + "_state_shapes"] = " ".join(str(s.shape) for s in cell.begin_state(2))

    seq = rnn.SequentialRNNCell(prefix="seq_")
    with seq.name_scope():
        seq.add(rnn.LSTMCell(4, input_size=3))
        seq.add(rnn.DropoutCell(0.0))
        seq.add(rnn.ResidualCell(rnn.GRUCell(4, input_size=4)))
    seq.initialize()
    fill(seq, 13)
    record("sequential", seq, lambda: seq.unroll(4, x, merge_outputs=True))

    hseq = rnn.HybridSequentialRNNCell(prefix="hseq_")
    with hseq.name_scope():
        hseq.add(rnn.RNNCell(4, input_size=3))
        hseq.add(rnn.ZoneoutCell(rnn.LSTMCell(4, input_size=4), 0.0, 0.0))
    hseq.initialize()
    fill(hseq, 14)
    record("hybrid_sequential", hseq, lambda: hseq.unroll(4, list(
        nd.split(x, axis=1, num_outputs=4, squeeze_axis=True)), merge_outputs=True))

    bi = rnn.BidirectionalCell(rnn.LSTMCell(3, input_size=3, prefix="l_"),
                               rnn.GRUCell(3, input_size=3, prefix="r_"))
    bi.initialize()
    fill(bi, 15)
    lengths = nd.array([2, 4])
    record("bidirectional", bi, lambda: bi.unroll(4, x, merge_outputs=True,
                                                  valid_length=lengths))
    record("bidirectional_list", bi, lambda: bi.unroll(4, x, merge_outputs=False))
    masked = rnn.LSTMCell(3, input_size=3, prefix="m_")
    masked.initialize()
    fill(masked, 16)
    record("valid_length", masked, lambda: masked.unroll(4, x, merge_outputs=True,
                                                         valid_length=lengths))
''')


TEST_UTILS = dedent('''
    tu = mx.test_utils
    a32, a64 = nd.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0])
    out["tols"] = np.array([tu.get_tols(a32, a64, None, None),
                            tu.get_tols(a64, a64, None, None),
                            tu.get_tols(nd.array([1, 2], dtype="float16"), a64, None, 0.5),
                            tu.get_tols(a32, a64, {np.dtype("float32"): 0.3}, None)])
    out["rtol_atol"] = np.array([tu.get_rtol(), tu.get_atol(), tu.get_rtol(0.1),
                                 tu.get_rtol(None, np.dtype("float32")),
                                 tu.get_atol(None, np.dtype("float16"))])
    pairs = [(a32, a64 + 1e-4), (a32, a64 + 2e-3), (a64, a64 * (1 + 1e-6)),
             (a64, a64 * (1 + 1e-4)), (nd.array([np.nan]), np.array([np.nan]))]
    passed = []
    for x, y in pairs:
        try:
            tu.assert_almost_equal(x, y)
            passed.append(1)
        except AssertionError:
            passed.append(0)
    out["assert_passes"] = np.array(passed)
    out["almost_equal"] = np.array([tu.almost_equal(np.float32(1), 1.00001),
                                    tu.almost_equal(a64, a64 + 1e-4),
                                    tu.almost_equal(np.array([np.nan]), np.array([np.nan]),
                                                    equal_nan=True)])
    out["same"] = np.array([tu.same(np.ones(2), np.ones(2)), tu.same(np.ones(2), np.ones(3))])
    out["ctx"] = repr(tu.default_context())
    r = tu.rand_ndarray((3, 4), dtype="float64")
    out["rand"] = np.array([r.shape[0], r.shape[1], str(r.dtype) == "<class \'numpy.float64\'>"])
''')


METRICS = dedent('''
    m = mx.metric
    rng = np.random.RandomState(5)
    scores = rng.uniform(0, 1, (20, 4)).astype("float32")
    probs = scores / scores.sum(axis=1, keepdims=True)
    labels = rng.randint(0, 4, 20).astype("float32")
    L, P = nd.array(labels), nd.array(probs)

    acc = m.Accuracy()
    acc.update([L], [P])
    acc.update(nd.array(labels[:5]), nd.array(probs[:5]))  # single arrays, not lists
    out["acc"] = acc.get()[1]
    acc.reset_local()
    acc.update([nd.array(labels[5:])], [nd.array(probs[5:])])
    out["acc_local"], out["acc_global"] = acc.get()[1], acc.get_global()[1]
    same = m.create("acc")
    same.update([L], [nd.array(labels[::-1].copy())])  # predicted labels, not scores
    out["acc_labels"] = same.get()[1]
    out["acc_axis0"] = m.create("acc", axis=0).get()[1]  # nan before any update
    top = m.create("top_k_accuracy", top_k=3)
    top.update([L], [P])
    out["top3"], out["top3_name"] = top.get()[1], top.get()[0]

    bl = rng.randint(0, 2, 30).astype("float32")
    bp = rng.uniform(0, 1, (30, 2)).astype("float32")
    for cls in ("F1", "MCC"):
        for avg in ("macro", "micro"):
            f = getattr(m, cls)(average=avg)
            f.update([nd.array(bl[:12])], [nd.array(bp[:12])])
            f.update([nd.array(bl[12:])], [nd.array(bp[12:])])
            out[cls + "_" + avg] = f.get()[1]
            out[cls + "_" + avg + "_global"] = f.get_global()[1]
    pcc = m.PCC()
    pcc.update([L], [P])
    pcc.update([nd.array([0, 5, 5, 1])], [nd.array([0, 5, 4, 1])])  # grows to 6 classes
    out["pcc"], out["pcc_global"] = pcc.get()[1], pcc.get_global()[1]

    for ignore in (None, 2):
        perp = m.Perplexity(ignore_label=ignore)
        perp.update([L], [P])
        perp.update([nd.array(labels[:7])], [nd.array(probs[:7])])
        out["perplexity_%s" % ignore] = perp.get()[1]
    for name in ("ce", "nll_loss"):
        ce = m.create(name, eps=1e-8)
        ce.update([L], [P])
        out[name] = ce.get()[1]

    y = rng.normal(size=(12,)).astype("float32")
    yp = rng.normal(size=(12, 1)).astype("float32")
    for name in ("mae", "mse", "rmse"):
        e = m.create(name)
        e.update([nd.array(y)], [nd.array(yp)])
        e.update([nd.array(y[:5].reshape(5, 1))], [nd.array(yp[:5, 0])])
        out[name] = e.get()[1]
    for avg in ("macro", "micro"):
        pr = m.PearsonCorrelation(average=avg)
        pr.update([nd.array(y)], [nd.array(yp[:, 0] + y)])
        pr.update([nd.array(y[:6])], [nd.array(yp[:6, 0] * 0.5 - y[:6])])
        out["pearson_" + avg] = pr.get()[1]
    loss = m.Loss()
    loss.update(None, [nd.array(y), nd.array(yp)])
    out["loss"] = loss.get()[1]

    def mean_abs(label, pred):
        return np.abs(label - pred.argmax(axis=1)).mean()
    custom = m.np(mean_abs)
    custom.update([L], [P])
    pairs = m.CustomMetric(lambda l, p: (float((l == p.argmax(axis=1)).sum()), l.size))
    pairs.update([L, L], [P, P])
    out["custom"], out["custom_name"] = custom.get()[1], custom.get()[0]
    out["custom_pairs"], out["custom_pairs_name"] = pairs.get()[1], pairs.get()[0]

    comp = m.create(["acc", "mse", m.F1()])
    comp.update([nd.array(bl)], [nd.array(bp)])
    names, values = comp.get()
    out["composite_names"], out["composite_values"] = " ".join(names), np.array(values)
    out["composite_str"] = str(comp.get_metric(0))
    out["config"] = repr(sorted(m.Accuracy(axis=0, name="a").get_config().items()))
''')


def all_cases() -> dict[str, str]:
    cases = {}
    for name in LAYERS:
        for hybrid in (False, True):
            cases[f"layer/{name}/{'hybrid' if hybrid else 'eager'}"] = layer_code(name, hybrid)
    for name in ("batchnorm", "dropout_predict"):
        if name in LAYERS:
            cases[f"layer/{name}/predict"] = layer_code(name, False, train=False)
    for name in LOSSES:
        for hybrid in (False, True):
            cases[f"loss/{name}/{'hybrid' if hybrid else 'eager'}"] = loss_code(name, hybrid)
    for name in OPTIMIZERS:
        cases[f"trainer/{name}/eager"] = trainer_code(name, False)
    cases["trainer/adam/hybrid"] = trainer_code("adam", True)
    cases["trainer/sgd_momentum_clip/hybrid"] = trainer_code("sgd_momentum_clip", True)
    cases["mlp/eager"] = "HYBRID = False\n" + MLP
    cases["mlp/hybrid"] = "HYBRID = True\n" + MLP
    cases["schedulers"] = SCHEDULERS
    cases["text"] = TEXT
    cases["metrics"] = METRICS
    cases["test_utils"] = TEST_UTILS
    cases["rnn_cells"] = RNN_CELLS
    cases["more_losses"] = MORE_LOSSES
    cases["io_iter"] = IO_ITER
    cases["rnn_states/eager"] = "HYBRID = False\n" + RNN_STATES
    cases["rnn_states/hybrid"] = "HYBRID = True\n" + RNN_STATES
    return cases


def run_case(mx: object, code: str) -> dict:
    """Run one case with ``mx`` as the framework; its results as NumPy arrays and strings."""
    ns: dict = {"mx": mx, "out": {}}
    exec(PRELUDE, ns)
    exec(code, ns)
    return ns["out"]


def to_json(value: object) -> object:
    if isinstance(value, str):
        return value
    a = np.asarray(value)
    return {"dtype": str(a.dtype), "shape": list(a.shape), "data": a.ravel().tolist()}


def from_json(value: object) -> object:
    if isinstance(value, str):
        return value
    return np.array(value["data"], dtype=value["dtype"]).reshape(value["shape"])


if __name__ == "__main__":
    import warnings

    import mxnet

    warnings.simplefilter("ignore")
    results = {name: {k: to_json(v) for k, v in run_case(mxnet, code).items()}
               for name, code in all_cases().items()}
    with open(sys.argv[1], "w") as f:
        json.dump({"mxnet": mxnet.__version__, "cases": results}, f, indent=0, sort_keys=True)
