// SPDX-License-Identifier: Apache-2.0
//
// mem_file(id): the file a test harness loads memory <id> from: the plusarg +mem<id>=<path>, by
// default mem<id>.memh in the simulation's directory. Included inside a harness module; resolved
// at the load itself (an initial block may not have run yet at time 0).

function automatic string mem_file(input int id);
  string fmt, path;
  fmt = $sformatf("mem%0d=%%s", id);
  if (!$value$plusargs(fmt, path)) path = $sformatf("mem%0d.memh", id);
  return path;
endfunction
