"""nd.image: what the MXNet comparison (tests/mxnet/cases_nd.py, "nd.image.*") cannot show:
the documented differences, batches and errors."""

import numpy as np
import pytest

from tracegrad import nd


def _img(shape=(2, 3, 3), seed=0):
    return np.random.RandomState(seed).uniform(0, 1, shape).astype(np.float32)


def test_saturation_mixes_each_pixel_with_its_luma():
    x = _img()
    gray = x @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    want = x * 0.5 + gray[..., None] * 0.5
    got = nd.image.random_saturation(nd.array(x), 0.5, 0.5).asnumpy()
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_flips_move_every_pixel_and_take_batches():
    x = _img((3, 5, 3))
    np.testing.assert_array_equal(nd.image.flip_left_right(nd.array(x)).asnumpy(), x[:, ::-1])
    np.testing.assert_array_equal(nd.image.flip_top_bottom(nd.array(x)).asnumpy(), x[::-1])
    b = _img((2, 3, 5, 3), 1)
    np.testing.assert_array_equal(nd.image.flip_left_right(nd.array(b)).asnumpy(),
                                  b[:, :, ::-1])
    # a batch's contrast uses each image's own mean luma
    out = nd.image.random_contrast(nd.array(b), 0.5, 0.5).asnumpy()
    for i in range(2):
        single = nd.image.random_contrast(nd.array(b[i]), 0.5, 0.5).asnumpy()
        np.testing.assert_allclose(out[i], single, rtol=1e-6)


def test_integer_images_are_clipped_and_truncated():
    x = nd.array(np.array([[[10, 200, 255]]]), dtype="uint8")
    assert nd.image.random_brightness(x, 1.5, 1.5).asnumpy().tolist() == [[[15, 255, 255]]]
    assert nd.image.random_brightness(x, 1.5, 1.5).dtype == np.uint8


def test_errors():
    with pytest.raises(ValueError, match=r"images are \(H, W, C\)"):
        nd.image.flip_left_right(nd.ones((2, 2)))
    with pytest.raises(ValueError, match="outside the image"):
        nd.image.crop(nd.ones((2, 3, 3)), 2, 0, 2, 2)
    with pytest.raises(ValueError, match="min_factor 2 > max_factor 1"):
        nd.image.random_contrast(nd.ones((2, 3, 3)), 2, 1)
    with pytest.raises(TypeError, match="unexpected keyword argument 'scale'"):
        nd.image.to_tensor(nd.ones((2, 3, 3)), scale=2)


def test_random_choices_are_drawn_again_in_compiled_code():
    # a hybridized transform or a jit function must not freeze the first call's coin or
    # factor: they are random draws of the graph
    import tracegrad
    from tracegrad._compiler import executor
    from tracegrad.gluon.data.vision import transforms

    executor.set_backend("interpreter")  # the same graphs, without compiling kernels
    try:
        flip = transforms.RandomFlipLeftRight()
        flip.hybridize()
        img = nd.array(np.arange(24, dtype=np.float32).reshape(2, 4, 3))
        corners = {int(flip(img).asnumpy()[0, 0, 0]) for _ in range(30)}
        assert corners == {0, 9}
        bright = tracegrad.jit(lambda x: nd.image.random_brightness(x, 0.5, 1.5))
        values = {float(bright(img).asnumpy()[0, 1, 0]) for _ in range(5)}
        assert len(values) == 5 and all(1.5 <= v <= 4.5 for v in values)
    finally:
        executor.set_backend(None)
