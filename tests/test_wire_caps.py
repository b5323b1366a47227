"""What a child writes is cut into frames with caps: no frame too large, no nesting bomb, linear time."""

from __future__ import annotations

import struct
import time

import pytest
import safetensors.torch
import torch

from autograder.sandbox import wire
from autograder.sandbox.client import MAX_CHILD_HEADER


def test_are_many_small_frames_split_in_linear_time():
    data = wire.pack({"event": "x"}) * 50_000
    splitter, found, start = wire.FrameSplitter(), 0, time.perf_counter()
    for i in range(0, len(data), 1 << 16):
        found += len(splitter.feed(data[i:i + (1 << 16)]))
    assert found == 50_000 and time.perf_counter() - start < 2.0


def test_is_a_header_over_the_childs_cap_refused_before_it_is_read():
    splitter = wire.FrameSplitter(max_header=MAX_CHILD_HEADER)
    with pytest.raises(wire.WireError, match="frame header too large"):
        splitter.feed(b"KIT1" + struct.pack(">I", MAX_CHILD_HEADER + 1))


def test_is_a_nesting_bomb_within_the_cap_a_wire_error():
    head = b"[" * 400_000 + b"]" * 400_000
    with pytest.raises(wire.WireError, match="frame header is not JSON"):
        wire.FrameSplitter(max_header=MAX_CHILD_HEADER).feed(
            b"KIT1" + struct.pack(">I", len(head)) + head + struct.pack(">Q", 0))


@pytest.mark.parametrize("dtype", sorted(wire.ALLOWED_DTYPES, key=str))
def test_does_the_childs_tensor_writer_give_what_safetensors_reads_back(dtype):
    # The child writes its tensors itself (safetensors' writer is slow in Python); the grader reads them
    # with safetensors' own loader, which must find exactly the values, shapes and dtypes sent.
    base = torch.arange(24, dtype=torch.float64).reshape(4, 6) / 7 - 1
    tensors = {"matrix": base.to(dtype), "column": base.to(dtype)[:, 2], "transposed": base.to(dtype).T,
               "scalar": base.to(dtype)[1, 1], "empty": base.to(dtype)[:0], "row": base.to(dtype)[3]}
    back = safetensors.torch.load(wire.tensor_blob(tensors))
    assert sorted(back) == sorted(tensors)
    for key, sent in tensors.items():
        assert back[key].dtype == dtype and back[key].shape == sent.shape, key
        assert torch.equal(back[key], sent), key


def test_is_a_tensor_of_a_dtype_not_allowed_refused_by_the_writer():
    with pytest.raises(ValueError, match="complex64 cannot be sent"):
        wire.tensor_blob({"z": torch.zeros(2, dtype=torch.complex64)})


def test_does_the_codec_read_back_what_it_wrote_however_the_stream_is_cut():
    """One codec for every side (grader, child, zygote): frames fed a byte at a time come back whole."""
    tensors = {"x": torch.arange(6.0).reshape(2, 3)}
    data = wire.pack({"event": "case", "n": 1}, tensors) + wire.pack_raw({"op": "load"}, b"")
    splitter = wire.FrameSplitter()
    frames = [frame for i in range(len(data)) for frame in splitter.feed(data[i:i + 1])]
    assert [frame.header for frame in frames] == [{"event": "case", "n": 1}, {"op": "load"}]
    assert torch.equal(wire.load_tensors(frames[0].blob)["x"], tensors["x"]) and frames[1].blob == b""


def test_is_only_a_childs_blob_capped():
    """The child reads the grader's requests with the same codec, uncapped: a case's inputs may be larger than
    anything a child may send back."""
    claims_more = wire.pack_raw({"op": "case"}, b"")[:-8] + struct.pack(">Q", wire.MAX_BLOB + 1)
    with pytest.raises(wire.WireError, match="frame blob too large"):
        wire.FrameSplitter().feed(claims_more)
    assert wire.FrameSplitter(max_blob=None).feed(claims_more) == []  # waits for the rest
