"""Single-neuron peer runs in Brian2 for backends/cpu/neurons.test.ts: Izhikevich's four firing
regimes and the AdEx cell's spike-frequency adaptation, with the equations of stdlib/pynn.snn,
RK4 at the same dt, the same threshold and reset. Prints {case: [spike times in ms]} as JSON.

  /usr/bin/python3 backends/cpu/peers/single_neurons_brian2.py
"""
import json
import warnings

warnings.filterwarnings("ignore")

from brian2 import (NeuronGroup, SpikeMonitor, defaultclock, mV, ms, nA, nF, nS, pA, pF, prefs, run, start_scope)

prefs.codegen.target = "numpy"

IZHIKEVICH = {
    "RS": dict(a=0.02, b=0.2, c=-65, d=8),
    "IB": dict(a=0.02, b=0.2, c=-55, d=4),
    "CH": dict(a=0.02, b=0.2, c=-50, d=2),
    "FS": dict(a=0.1, b=0.2, c=-65, d=2),
}


def izhikevich(p):
    start_scope()
    defaultclock.dt = 0.05 * ms
    a, b, c, d = p["a"] / ms, p["b"] / ms, p["c"] * mV, p["d"] * mV / ms
    I = 10 * pA
    g = NeuronGroup(1, """
        dv/dt = (0.04/ms/mV)*v**2 + (5/ms)*v + 140*mV/ms - u + I/pF : volt
        du/dt = a*(b*v - u) : volt/second
        """, threshold="v >= 30*mV", reset="v = c; u += d", method="rk4")
    g.v = -70 * mV
    g.u = -14 * mV / ms
    m = SpikeMonitor(g)
    run(300 * ms)
    return [float(t / ms) for t in m.t]


def adex():
    start_scope()
    defaultclock.dt = 0.05 * ms
    C = 0.281 * nF
    tau_m = 9.3667 * ms
    gL = C / tau_m
    EL = -70.6 * mV
    VT = -50.4 * mV
    DeltaT = 2 * mV
    Vspike = -40 * mV
    Vr = -70.6 * mV
    a = 4 * nS
    b = 0.0805 * nA
    tau_w = 144 * ms
    I = 1 * nA
    g = NeuronGroup(1, """
        dv/dt = (gL*(EL - v) + gL*DeltaT*exp((clip(v, -1*volt, Vspike) - VT)/DeltaT) - w + I)/C : volt (unless refractory)
        dw/dt = (a*(v - EL) - w)/tau_w : amp
        """, threshold="v > Vspike", reset="v = Vr; w += b",
        # Brian2 counts the step in which the spike happens as refractory; snn (like NEST) holds v
        # for round(tau_refrac / dt) whole updates after it. One step more here gives snn's 0.1 ms.
        refractory=0.1 * ms + defaultclock.dt, method="rk4")
    g.v = EL
    m = SpikeMonitor(g)
    run(500 * ms)
    return [float(t / ms) for t in m.t]


from brian2 import volt  # noqa: E402  (used inside the equations above)

out = {k: izhikevich(p) for k, p in IZHIKEVICH.items()}
out["AdEx"] = adex()
print(json.dumps(out))
