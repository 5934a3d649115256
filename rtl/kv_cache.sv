// SPDX-License-Identifier: Apache-2.0
//
// kv_cache: attention's on-chip K and V caches (rtl/attention.sv), with the save/restore port.
//
// Two arrays (K, V) of Words words of Macs elements of ElemBits (int8 for GPT-2, int16 for GQA;
// attention.sv's header gives the address map). Write port: the token load writes one
// Lanes-element slot of word ld_addr per cycle (ld_k_we / ld_v_we), slot s in elements
// [Lanes*s, Lanes*(s+1)). Read ports: K and V, registered (data one
// cycle after the address), one word per cycle each, for the q.K and p.V datapaths.
// Save/restore port (cache_*): while cache_req is high it has priority over both: cache_we
// writes cache_wdata to word cache_addr of the cache that cache_sel picks (0: K, 1: V), else
// cache_rdata holds that word one cycle later. Attention uses it only while idle.
// Nothing is reset: a cache need not be initialised (rows beyond a token's pos are never read).

`default_nettype none

module kv_cache #(
  parameter int Macs     = 16,  // elements per word (the datapaths' MACs per cycle)
  parameter int Lanes    = 1,   // elements per load write (divides Macs)
  parameter int Words    = 64,  // words per cache
  parameter int ElemBits = 8,   // bits per element
  localparam int WordBits  = Macs * ElemBits,
  localparam int AddrWidth = (Words > 1) ? $clog2(Words) : 1,
  localparam int Slots     = (Lanes > 0 && Macs >= Lanes) ? Macs / Lanes : 1,
  localparam int SlotWidth = (Slots > 1) ? $clog2(Slots) : 1
) (
  input  wire logic                 clk,
  // Token load: one slot of a word
  input  wire logic                 ld_k_we,
  input  wire logic                 ld_v_we,
  input  wire logic [AddrWidth-1:0] ld_addr,
  input  wire logic [SlotWidth-1:0] ld_slot,
  input  wire logic [Lanes*ElemBits-1:0] ld_data,
  // Datapath read ports (registered)
  input  wire logic [AddrWidth-1:0] k_addr,
  output logic      [WordBits-1:0]  k_rdata,
  input  wire logic [AddrWidth-1:0] v_addr,
  output logic      [WordBits-1:0]  v_rdata,
  // Save/restore port
  input  wire logic                 cache_req,
  input  wire logic                 cache_we,
  input  wire logic                 cache_sel,    // 0: K cache, 1: V cache
  input  wire logic [AddrWidth-1:0] cache_addr,
  input  wire logic [WordBits-1:0]  cache_wdata,
  output logic      [WordBits-1:0]  cache_rdata
);

  initial begin
    if (Lanes < 1 || Macs % Lanes != 0) $fatal(1, "kv_cache: Lanes (%0d) must divide Macs (%0d)", Lanes, Macs);
    if (Words < 1) $fatal(1, "kv_cache: Words must be >= 1, got %0d", Words);
  end

  logic [WordBits-1:0] kmem [Words];
  logic [WordBits-1:0] vmem [Words];
  logic cache_sel_q;

  always_ff @(posedge clk) begin
    if (cache_req && cache_we) begin
      if (!cache_sel) kmem[cache_addr] <= cache_wdata;
      else vmem[cache_addr] <= cache_wdata;
    end else begin
      for (int s = 0; s < Slots; s++) begin
        if (ld_slot == SlotWidth'(s)) begin
          if (ld_k_we) kmem[ld_addr][ElemBits*Lanes*s +: ElemBits*Lanes] <= ld_data;
          if (ld_v_we) vmem[ld_addr][ElemBits*Lanes*s +: ElemBits*Lanes] <= ld_data;
        end
      end
    end
    k_rdata     <= kmem[cache_req ? cache_addr : k_addr];
    v_rdata     <= vmem[cache_req ? cache_addr : v_addr];
    cache_sel_q <= cache_sel;
  end
  assign cache_rdata = cache_sel_q ? v_rdata : k_rdata;

endmodule

`default_nettype wire
