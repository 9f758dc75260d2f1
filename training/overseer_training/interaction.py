"""Physically motivated interaction inputs of the interference model, computed inside the ONNX graph.

A tree ensemble splits on one input at a time, so a product such as "how much of the workload's time
is LLC-hit stalls" x "how loaded the node's DRAM is" must be spelled out for it to transfer between
workloads. Each interaction multiplies a solo-profile sensitivity by a node pressure:

  dram_x_latency   profile dram_bound_stall_fraction x loaded-latency growth lat(u')
  l3_x_latency     profile l3_bound_stall_fraction  x lat(u')   (LLC hits lost to sharing go to DRAM)
  l3_x_occupancy   profile l3_bound_stall_fraction  x node llc_occupancy_fraction
  l3_x_log_ws      profile l3_bound_stall_fraction  x ln(profile llc_working_set_bytes)
  l3_x_llc_demand  profile l3_bound_stall_fraction  x node l2_misses_per_kilo_instr x cpu_utilization
  dram_x_bw        profile dram_bound_stall_fraction x node mem_bandwidth_fraction_of_peak
  l3_x_bw          profile l3_bound_stall_fraction  x node mem_bandwidth_fraction_of_peak

with u' = u + (profile read + write bytes/s) / peak the node's bandwidth share once the pod is added
(peak = (read + write) / u from the node's own counters; u' = u when the node has no read/write
counters) and lat(u) = min(u, 0.999)^2 / max(1e-3, 1 - min(u, 0.999)), the shape of a loaded-latency
curve. An interaction whose node inputs are absent is -1 (a value no real interaction takes).

The features exist once, as an ONNX graph: training computes them by running that graph with
onnxruntime, so the served model sees exactly the numbers it was trained on.
"""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from .schema import FEATURE_COUNT, FEATURE_NAMES, PROFILE_FEATURE_NAMES

INTERACTION_NAMES: tuple[str, ...] = (
    "dram_x_latency", "l3_x_latency", "l3_x_occupancy", "l3_x_log_ws", "l3_x_llc_demand", "dram_x_bw", "l3_x_bw",
)
INTERACTION_COUNT = len(INTERACTION_NAMES)
ABSENT_VALUE = -1.0


class _Graph:
    def __init__(self, prefix: str, source: str):
        self.prefix, self.source = prefix, source
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self._n = 0

    def _name(self, hint: str) -> str:
        self._n += 1
        return f"{self.prefix}{hint}_{self._n}"

    def const(self, value: float | list[int], dtype=np.float32) -> str:
        name = self._name("c")
        self.inits.append(numpy_helper.from_array(np.array(value, dtype=dtype), name))
        return name

    def op(self, kind: str, *inputs: str, **attrs) -> str:
        out = self._name(kind.lower())
        self.nodes.append(helper.make_node(kind, list(inputs), [out], name=out, **attrs))
        return out

    def column(self, index: int) -> str:
        return self.op("Gather", self.source, self.const([index], np.int64), axis=1)


def interaction_nodes(source: str, output: str, prefix: str = "ix_") -> tuple[list, list]:
    """Nodes and initializers computing `output` = [source, interactions] ([N, W] -> [N, W + 7])."""
    g = _Graph(prefix, source)
    f_col = {n: i for i, n in enumerate(FEATURE_NAMES)}
    p_col = {n: 2 * FEATURE_COUNT + i for i, n in enumerate(PROFILE_FEATURE_NAMES)}

    def node(name: str) -> str:
        return g.column(f_col[name])

    def present(*names: str) -> str:
        flags = [g.column(FEATURE_COUNT + f_col[n]) for n in names]
        acc = flags[0]
        for f in flags[1:]:
            acc = g.op("Mul", acc, f)
        return g.op("Greater", acc, g.const(0.5))

    u = node("mem_bandwidth_fraction_of_peak")
    node_bw = g.op("Add", node("mem_read_bytes_per_sec"), node("mem_write_bytes_per_sec"))
    own_bw = g.op("Add", g.column(p_col["mem_read_bytes_per_sec"]), g.column(p_col["mem_write_bytes_per_sec"]))
    peak = g.op("Div", node_bw, g.op("Max", u, g.const(1e-4)))
    own_share = g.op("Div", own_bw, g.op("Max", peak, g.const(1.0)))
    zero = g.const(0.0)
    has_rw = present("mem_read_bytes_per_sec", "mem_write_bytes_per_sec")
    u_after = g.op("Add", u, g.op("Where", has_rw, own_share, zero))
    uc = g.op("Min", u_after, g.const(0.999))
    lat = g.op("Div", g.op("Mul", uc, uc), g.op("Max", g.op("Sub", g.const(1.0), uc), g.const(1e-3)))

    dram = g.column(p_col["dram_bound_stall_fraction"])
    l3 = g.column(p_col["l3_bound_stall_fraction"])
    log_ws = g.op("Log", g.op("Max", g.column(p_col["llc_working_set_bytes"]), g.const(1.0)))
    demand = g.op("Mul", node("l2_misses_per_kilo_instr"), node("cpu_utilization_fraction"))
    has_u = present("mem_bandwidth_fraction_of_peak")
    absent = g.const(ABSENT_VALUE)
    cols = [
        g.op("Where", has_u, g.op("Mul", dram, lat), absent),
        g.op("Where", has_u, g.op("Mul", l3, lat), absent),
        g.op("Where", present("llc_occupancy_fraction"), g.op("Mul", l3, node("llc_occupancy_fraction")), absent),
        g.op("Mul", l3, log_ws),
        g.op("Where", present("l2_misses_per_kilo_instr", "cpu_utilization_fraction"), g.op("Mul", l3, demand), absent),
        g.op("Where", has_u, g.op("Mul", dram, u), absent),
        g.op("Where", has_u, g.op("Mul", l3, u), absent),
    ]
    g.nodes.append(helper.make_node("Concat", [source, *cols], [output], name=f"{prefix}concat", axis=1))
    return g.nodes, g.inits


_SESSIONS: dict[int, ort.InferenceSession] = {}


def _session(width: int) -> ort.InferenceSession:
    if width not in _SESSIONS:
        nodes, inits = interaction_nodes("x", "y")
        out_width = width + INTERACTION_COUNT
        graph = helper.make_graph(nodes, "overseer_interactions",
                                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, width])],
                                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, out_width])],
                                  initializer=inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
        onnx.checker.check_model(model)
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        _SESSIONS[width] = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    return _SESSIONS[width]


def with_interactions(x32: np.ndarray) -> np.ndarray:
    """[x32, interactions] as float32, computed by the same ONNX nodes the exported model runs."""
    x32 = np.ascontiguousarray(x32, dtype=np.float32)
    if len(x32) == 0:
        return np.zeros((0, x32.shape[1] + INTERACTION_COUNT), dtype=np.float32)
    return _session(x32.shape[1]).run(None, {"x": x32})[0]
