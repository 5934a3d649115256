"""cocotb module of `make run`: a whole model generating text through the simulated decoder layer.

Every layer of every token runs on the RTL (tb_decoder_layer.sv, the one layer reused with each
layer's parameters and KV cache); the embedding, final LayerNorm and LM head run in numpy
(models.gpt2.IntGPT2). Each layer's RTL output is compared with models.layer.layer_decode on the
same input, and the RTL's output is what the next layer and the next token use.

TB_CONFIG: params_file, prompt (token ids), new_tokens, result (path of the JSON to write).
"""

import json
import time
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge, Timer, with_timeout
from cocotbext.axi import AxiStreamBus, AxiStreamFrame, AxiStreamSink, AxiStreamSource

from harness.decoder_layer import LayerHarness, pos_beat, write_memfiles
from models import layer as layer_model
from models.gpt2 import IntGPT2
from tbkit.axis import signed, unsigned
from tbkit.cli import write_atomic
from tbkit.env import tb_config


def _text(tokens) -> str:
    return bytes(tokens).decode("utf-8", errors="replace")


@cocotb.test()
async def decode(dut):
    cfg_tb = tb_config()
    model = IntGPT2.from_file(cfg_tb["params_file"])
    cfg = model.cfg
    write_memfiles(model.layers, cfg_tb["parameters"], Path(cfg_tb["test_dir"]))
    prompt, new_tokens = list(cfg_tb["prompt"]), int(cfg_tb["new_tokens"])
    if len(prompt) + new_tokens > cfg["max_seq"]:  # the launcher caps it; this is the last guard
        raise ValueError(f"{len(prompt)} prompt + {new_tokens} new tokens exceed the {cfg['max_seq']}-token context")

    # cocotbext-axi streams follow reset *edges* only: create them first, then assert reset, then
    # start the clock, so no handshake is read while the DUT's outputs are still X (Icarus).
    harness = LayerHarness(dut)
    x_in = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis"), dut.clk, dut.rst_n, False, byte_size=16)
    pos_in = AxiStreamSource(AxiStreamBus.from_prefix(dut, "s_axis_pos"), dut.clk, dut.rst_n, False, byte_size=32)
    x_out = AxiStreamSink(AxiStreamBus.from_prefix(dut, "m_axis"), dut.clk, dut.rst_n, False, byte_size=16)
    dut.rst_n.value = 0
    await Timer(1, "ns")
    Clock(dut.clk, 10, unit="ns", impl="gpi").start(start_high=False)
    await ClockCycles(dut.clk, 5)
    dut.rst_n.value = 1
    await harness.load_memories()
    per_token_limit = 50 * sum(cfg[k] for k in ("d_model", "d_ffn")) * cfg["d_model"]  # cycles, generous

    tokens = list(prompt)
    layer_cycles, mismatches, steps = [], [], []
    print(f"prompt ({len(prompt)} tokens): {_text(prompt)!r}", flush=True)
    start_wall, start_cycle = time.time(), int(dut.cycle.value)
    for pos in range(len(prompt) + new_tokens):
        x = model.embed(tokens[pos], pos)
        cycles = []
        for i, p in enumerate(model.layers):
            await harness.select_layer(i)
            await x_in.send(AxiStreamFrame(unsigned(x, 16)))
            await pos_in.send(AxiStreamFrame([pos_beat(pos, i)]))
            frame = await with_timeout(x_out.recv(), per_token_limit * 10, "ns")
            await RisingEdge(dut.clk)  # the harness's counters register the last beat at that edge
            y = signed(frame.tdata, 16)
            want = layer_model.layer_decode(p, cfg, model.kv[i], x, pos)
            if harness.errors():
                raise RuntimeError(f"token at position {pos}, layer {i}: {'; '.join(harness.errors())}")
            if len(y) != len(want) or np.any(y != want):
                bad = int(np.argmax(y != want)) if len(y) == len(want) else -1
                mismatches.append({"pos": pos, "layer": i, "first_element": bad, "elements": len(y)})
            cycles.append(harness.token_cycles())
            x = y
        layer_cycles += cycles
        logits, _ = model.head(x)
        generated = pos >= len(prompt) - 1
        if generated and len(tokens) < len(prompt) + new_tokens:
            tokens.append(int(np.argmax(logits)))
        steps.append({"pos": pos, "token": tokens[pos], "layer_cycles": cycles})
        rate = (int(dut.cycle.value) - start_cycle) / max(time.time() - start_wall, 1e-9)
        status = "bit-exact" if not mismatches else f"{len(mismatches)} MISMATCHES"
        shown = _text(tokens[len(prompt):]) if generated else _text(tokens[: pos + 1])
        phase = "gen   " if generated else "prompt"
        print(f"[{phase} {pos + 1:3d}/{len(prompt) + new_tokens}] cycles/layer {'/'.join(map(str, cycles))} "
              f"{rate / 1e3:5.1f}k cycles/s {status}  {shown!r}", flush=True)

    wall = time.time() - start_wall
    result = {
        "tokens": tokens[len(prompt):],
        "prompt_tokens": prompt,
        "text": _text(tokens[len(prompt):]),
        "bit_exact": not mismatches,
        "mismatches": mismatches,
        "layer_steps": len(layer_cycles),
        "cycles_per_token_layer": float(np.mean(layer_cycles)),
        "layer_cycles": steps,
        "sim_cycles": int(dut.cycle.value) - start_cycle,
        "sim_wall_s": wall,
        "sim_cycles_per_second": (int(dut.cycle.value) - start_cycle) / wall,
    }
    write_atomic(Path(cfg_tb["result"]), json.dumps(result, indent=1))  # the launcher never sees half a file
