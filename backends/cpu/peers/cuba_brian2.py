"""The CUBA benchmark in Brian2, exactly as Brian2's example (examples/CUBA.py) writes it.

Peer reference for examples/cuba.snn (backends/cpu/cuba.test.ts and bench/cuba-speed.ts).
Prints one JSON object: the mean rate (Hz), the mean coefficient of variation of the
inter-spike intervals over neurons with at least 3 spikes, and timings.

  /usr/bin/python3 backends/cpu/peers/cuba_brian2.py [--target numpy|cython|cpp_standalone] [--seed N] [--duration-ms T]
"""
import argparse
import json
import os
import sys
import tempfile
import time
import warnings

warnings.filterwarnings("ignore")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", default="numpy", choices=["numpy", "cython", "cpp_standalone"])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--duration-ms", type=float, default=1000.0)
    args = ap.parse_args()

    t_start = time.perf_counter()
    import numpy as np
    from brian2 import (NeuronGroup, SpikeMonitor, Synapses, defaultclock, device, mV, ms, prefs, run, second,
                        seed, set_device)

    if args.target == "cpp_standalone":
        build_dir = tempfile.mkdtemp(prefix="snn-brian2-")
        set_device("cpp_standalone", directory=build_dir, build_on_run=False)
    else:
        prefs.codegen.target = args.target
    seed(args.seed)
    defaultclock.dt = 0.1 * ms

    taum = 20 * ms
    taue = 5 * ms
    taui = 10 * ms
    Vt = -50 * mV
    Vr = -60 * mV
    El = -49 * mV
    eqs = """
    dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
    dge/dt = -ge/taue : volt
    dgi/dt = -gi/taui : volt
    """
    P = NeuronGroup(4000, eqs, threshold="v>Vt", reset="v = Vr", refractory=5 * ms, method="exact")
    P.v = "Vr + rand() * (Vt - Vr)"
    P.ge = 0 * mV
    P.gi = 0 * mV
    we = (60 * 0.27 / 10) * mV  # excitatory synaptic weight (voltage)
    wi = (-20 * 4.5 / 10) * mV  # inhibitory synaptic weight
    Ce = Synapses(P, P, on_pre="ge += we")
    Ci = Synapses(P, P, on_pre="gi += wi")
    Ce.connect("i<3200", p=0.02)
    Ci.connect("i>=3200", p=0.02)
    s_mon = SpikeMonitor(P)

    t_run = time.perf_counter()
    run(args.duration_ms * ms)
    if args.target == "cpp_standalone":
        device.build(directory=build_dir, compile=True, run=True, debug=False)
    t_end = time.perf_counter()

    trains = s_mon.spike_trains()
    cvs = []
    for k in range(4000):
        ts = np.asarray(trains[k] / second)
        if len(ts) >= 3:
            isi = np.diff(ts)
            cvs.append(float(np.std(isi) / np.mean(isi)))
    sim_s = t_end - t_run
    if args.target == "cpp_standalone":
        # The C++ binary's own time for the simulation, without code generation and compiling.
        sim_s = float(getattr(device, "_last_run_time", sim_s))
    out = {
        "target": args.target,
        "sim_s": sim_s,
        "spikes": int(s_mon.num_spikes),
        "rate_hz": float(s_mon.num_spikes / 4000 / (args.duration_ms / 1000)),
        "mean_cv": float(np.mean(cvs)) if cvs else None,
        "setup_s": t_run - t_start,
        "run_s": t_end - t_run,
        "total_s": t_end - t_start,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
