"""cocotb module of `make run MODEL=smollm2`: a Llama-family model answering a chat prompt with every
layer of every token on the simulated RTL (tb_llama_layer.sv, the one layer reused with each
layer's weights and KV-cache region).

The embedding, the final RMSNorm and the LM head run in numpy (models.llama_model.IntLlama). Each
layer's RTL output is compared with models.llama_model.layer_decode on the same input, and the
RTL's output is what the next layer and the next token use. Tokens go in and out through the
harness's self-drive pins (a whole vector per call), so Python wakes a few times per layer, not
once per beat.

TB_CONFIG: params_file, prompt (token ids), new_tokens, eos (token id), pieces_file (a JSON list:
the text of every token id, from the launcher's tokenizer), result (JSON path).
"""

import json
import sys
import time
from pathlib import Path

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, Timer

from harness.llama_layer import LlamaHarness, bus_words_per_layer, write_memfiles
from models.llama_model import IntLlama, KVCache, layer_decode
from tbkit.cli import write_atomic
from tbkit.env import tb_config


def _clock(s: float) -> str:
    s = int(s)
    return f"{s // 60}:{s % 60:02d}"


@cocotb.test()
async def decode(dut):
    cfg_tb = tb_config()
    rtl = cfg_tb["parameters"]
    model = IntLlama.from_file(cfg_tb["params_file"], max_seq=rtl["MaxSeq"], cache_weights=True)
    cfg = model.cfg
    prompt, new_tokens, eos = list(cfg_tb["prompt"]), int(cfg_tb["new_tokens"]), int(cfg_tb["eos"])
    if len(prompt) + new_tokens - 1 > rtl["MaxSeq"]:  # the launcher caps it; this is the last guard
        raise ValueError(f"{len(prompt)} prompt + {new_tokens} new tokens exceed the {rtl['MaxSeq']}-token context")
    t0 = time.time()
    write_memfiles(model.layers, rtl, Path(cfg_tb["test_dir"]))
    print(f"weights of {cfg['n_layer']} layers written into the harness memories ({time.time() - t0:.0f} s)", flush=True)
    pieces = json.loads(Path(cfg_tb["pieces_file"]).read_text())

    def text(ids) -> str:
        return "".join(pieces[int(t)] for t in ids)

    harness = LlamaHarness(dut)
    dut.rst_n.value = 0
    await Timer(1, "ns")
    Clock(dut.clk, 10, unit="ns", impl="gpi").start(start_high=False)
    await ClockCycles(dut.clk, 5)
    dut.rst_n.value = 1
    await harness.load_memories()
    bound = bus_words_per_layer(rtl)
    limit = 20 * bound + 200 * rtl["MaxSeq"]  # cycles per layer step, generous
    kv = [KVCache(model.max_seq, cfg["n_kv_head"] * cfg["head_dim"]) for _ in range(cfg["n_layer"])]

    tokens, layer_cycles, mismatches, steps = list(prompt), [], [], []
    answer: list[int] = []
    total = len(prompt) + new_tokens - 1  # positions the run may decode (the last token is not fed back)
    print(f"prompt: {len(prompt)} tokens; up to {new_tokens} new tokens; {cfg['n_layer']} layers each on the RTL",
          flush=True)
    start_wall, start_cycle = time.time(), int(dut.cycle.value)
    pos = 0
    while pos < len(tokens) and pos < total:
        x = model.embed([tokens[pos]])[0]
        cycles = []
        for i, p in enumerate(model.layers):
            await harness.select_layer(i)
            y = await harness.decode_token(x, pos, i, limit)
            if harness.errors():
                raise RuntimeError(f"token at position {pos}, layer {i}: {'; '.join(harness.errors())}")
            want = layer_decode(p, cfg, kv[i], x, pos)
            if np.any(y != want):
                mismatches.append({"pos": pos, "layer": i, "first_element": int(np.argmax(y != want)),
                                   "elements": int(np.sum(y != want))})
            cycles.append(harness.token_cycles())
            x = y
        layer_cycles += cycles
        generated = pos >= len(prompt) - 1
        if generated:
            tok = int(np.argmax(model.head(x)[0]))
            tokens.append(tok)
            answer.append(tok)
        steps.append({"pos": pos, "token": tokens[pos], "layer_cycles": cycles})
        pos += 1
        elapsed = time.time() - start_wall
        rate = (int(dut.cycle.value) - start_cycle) / max(elapsed, 1e-9)
        left = elapsed / pos * (total - pos) if not (answer and answer[-1] == eos) else 0.0
        status = "bit-exact" if not mismatches else f"{len(mismatches)} MISMATCHES"
        shown = text(answer) if generated else text(tokens[max(0, pos - 8):pos])
        phase = "answer" if generated else "prompt"
        print(f"[{phase} token {pos:3d}/{total}] {cfg['n_layer']} layers, {sum(cycles):,} cycles "
              f"({sum(cycles) / len(cycles):,.0f}/layer, {sum(cycles) / len(cycles) / bound:.3f} x bound) | "
              f"{_clock(elapsed)} elapsed, <= {_clock(left)} left | {rate / 1e3:.0f}k cycles/s | {status} | "
              f"{shown!r}", flush=True)
        if answer and answer[-1] == eos:
            break

    wall = time.time() - start_wall
    per_token = [sum(s["layer_cycles"]) for s in steps]
    result = {
        "tokens": answer,
        "prompt_tokens": prompt,
        "text": text(t for t in answer if t != eos),
        "bit_exact": not mismatches,
        "mismatches": mismatches,
        "layer_steps": len(layer_cycles),
        "cycles_per_token_layer": float(np.mean(layer_cycles)),
        "cycles_per_token": float(np.mean(per_token)),
        "layer_cycles": steps,
        "sim_cycles": int(dut.cycle.value) - start_cycle,
        "sim_wall_s": wall,
        "sim_cycles_per_second": (int(dut.cycle.value) - start_cycle) / wall,
    }
    write_atomic(Path(cfg_tb["result"]), json.dumps(result, indent=1))  # the launcher never sees half a file
    sys.stdout.flush()
