#!/usr/bin/env python3
"""An independent PyTorch implementation of snn's surrogate-gradient training step.

Written from the semantics alone (no code shared with snn), in the style of SpyTorch
(fzenke/spytorch, tutorials 1-4), so that it can serve as a peer for

  * gradient checks:   python3 bench/peers/torch_snn.py grad IN.json      (IN.json may be '-')
  * speed benchmarks:  python3 bench/peers/torch_snn.py bench --net randman|shd [options]
  * its own check:     python3 bench/peers/torch_snn.py selftest

Network: input spikes (n_in) -> hidden LIF (n_hidden, optionally recurrent) -> output LI
(n_out, non-spiking). Weights are [pre][post]. Every delay is snn's minimum, one step: a spike of step k
is delivered at the start of step k + 2 (spec/language.md, propagate). Neuron state (v, i),
v' = (-v + i) / tau_mem, i' = -i / tau_syn, integrated exactly over dt. Per step k = 0..T-1:

    I_h[k] = s_in[k-2] @ W1 + s_h[k-2] @ V        (zero at k < 2)
    I_o[k] = s_h[k-2] @ W2
    i_a = i + I;  v_new = Pvv v + Pvi i_a;  i = Pii i_a
    hidden: s = H(v_new - v_th) (strict >); v = v_new (1 - s) + v_reset s   (s detached unless
            reset_gradient)
    output: v = v_new, recorded after the update (T values)

Readout max / mean / last over the T output values, cross-entropy loss (log_softmax + NLL,
mean over the batch), optional regulariser reg_weight * mean_{b,n} (sum_k s_h)^2.

SpyTorch differs on purpose: it uses exp(-dt/tau) decays without the exact v<-i coupling,
thresholds the membrane at the *start* of the step (update-then-threshold here), and
records T+1 output values.
"""

import json
import math
import os
import sys
import time

# --threads must take effect before torch (and its BLAS) start their thread pools.
if __name__ == '__main__' and len(sys.argv) > 1 and sys.argv[1] == 'bench':
    for _j, _a in enumerate(sys.argv):
        _k = None
        if _a == '--threads' and _j + 1 < len(sys.argv):
            _k = sys.argv[_j + 1]
        elif _a.startswith('--threads='):
            _k = _a.split('=', 1)[1]
        if _k is not None:
            for _var in ('OMP_NUM_THREADS', 'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS'):
                os.environ[_var] = _k

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402


# ---------------------------------------------------------------- exact propagator

def propagator(dt, tau_mem, tau_syn):
    """(Pvv, Pvi, Pii) of v' = (-v + i)/tau_mem, i' = -i/tau_syn over one step dt.

    i(t) = i0 e^{-t/ts};  v(t) = v0 e^{-t/tm} + i0 ts/(ts - tm) (e^{-t/ts} - e^{-t/tm}).
    Written as Pvi = (dt/tm) e^{-dt/tm} * expm1(x)/x with x = dt (1/tm - 1/ts), which is the
    same number without the cancellation near ts = tm and tends to (dt/tm) e^{-dt/tm} there.
    """
    pvv = math.exp(-dt / tau_mem)
    pii = math.exp(-dt / tau_syn)
    x = dt / tau_mem - dt / tau_syn
    ratio = 1.0 if x == 0.0 else math.expm1(x) / x
    pvi = (dt / tau_mem) * pvv * ratio
    return pvv, pvi, pii


# ---------------------------------------------------------------- surrogate spike

SURROGATE_DEFAULTS = {  # snn's defaults (compiler/builtins.ts)
    'fast_sigmoid': {'beta': 100.0},
    'sigmoid': {'beta': 25.0},
    'triangle': {'width': 1.0},
    'slayer': {'alpha': 1.0, 'beta': 5.0},
    'arctan': {'alpha': 2.0},
}


def surrogate_derivative(name, p, x):
    """dH/dx replaced by the named surrogate, at threshold margin x."""
    if name == 'fast_sigmoid':
        return 1.0 / (p['beta'] * x.abs() + 1.0) ** 2
    if name == 'sigmoid':
        sg = torch.sigmoid(p['beta'] * x)
        return p['beta'] * sg * (1.0 - sg)
    if name == 'triangle':
        return torch.clamp(1.0 - x.abs() / p['width'], min=0.0)
    if name == 'slayer':
        return p['alpha'] * torch.exp(-p['beta'] * x.abs())
    if name == 'arctan':
        return (p['alpha'] / 2.0) / (1.0 + (math.pi / 2.0 * p['alpha'] * x) ** 2)
    raise ValueError(f'unknown surrogate {name!r}')


def parse_surrogate(spec):
    """{"name": ..., params...} or a bare name -> (name, params with defaults filled in)."""
    if isinstance(spec, str):
        spec = {'name': spec}
    name = spec['name']
    if name not in SURROGATE_DEFAULTS:
        raise ValueError(f'unknown surrogate {name!r}; one of {sorted(SURROGATE_DEFAULTS)}')
    params = dict(SURROGATE_DEFAULTS[name])
    for key, value in spec.items():
        if key == 'name':
            continue
        if key not in params:
            raise ValueError(f'surrogate {name} has no parameter {key!r}')
        params[key] = float(value)
    return name, params


class SurrGradSpike(torch.autograd.Function):
    """Heaviside step (x > 0) forward, surrogate derivative backward (SpyTorch's pattern)."""

    @staticmethod
    def forward(ctx, x, name, params):
        ctx.save_for_backward(x)
        ctx.surrogate = (name, params)
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        name, params = ctx.surrogate
        return grad_output * surrogate_derivative(name, params, x), None, None


def surrogate_spike_fn(name, params):
    return lambda x: SurrGradSpike.apply(x, name, params)


class SmoothSpike(torch.autograd.Function):
    """sigmoid(beta x) forward and its exact derivative backward: a differentiable 'spike' used
    only by the self-test, where finite differences must see what autograd sees."""

    @staticmethod
    def forward(ctx, x, beta):
        sg = torch.sigmoid(beta * x)
        ctx.save_for_backward(sg)
        ctx.beta = beta
        return sg

    @staticmethod
    def backward(ctx, grad_output):
        (sg,) = ctx.saved_tensors
        return grad_output * ctx.beta * sg * (1.0 - sg), None


# ---------------------------------------------------------------- the network

def run_network(x, W1, V, W2, cfg, spike_fn, frozen_reset=None, record_reset=None):
    """Forward pass. x: dense input spike counts [B, T, n_in]. Returns (loss, spk [B, T, N]).

    cfg: dt, tau_mem, tau_syn, v_th, v_reset, readout, reset_gradient, reg_weight, labels
    (a LongTensor). frozen_reset / record_reset are for the self-test only: a list of
    per-step reset signals to use instead of the spikes, or a list to append them to.
    """
    B, T, _ = x.shape
    N = W1.shape[1]
    pvv, pvi, pii = propagator(cfg['dt'], cfg['tau_mem'], cfg['tau_syn'])
    v_th, v_reset = cfg['v_th'], cfg['v_reset']

    # All feed-forward input currents at once; step k receives the spikes of step k-2.
    # unbind, not h1[:, k]: the backward of each index would build a zero tensor of h1's full
    # size (O(T^2) work in all); unbind's backward is a single stack.
    h1 = torch.einsum('btc,cd->btd', x, W1).unbind(1)

    syn = torch.zeros((B, N), dtype=x.dtype, device=x.device)
    mem = torch.zeros((B, N), dtype=x.dtype, device=x.device)
    out = torch.zeros((B, N), dtype=x.dtype, device=x.device)
    spk_rec = []
    for k in range(T):
        if k > 1:
            cur = h1[k - 2]
            if V is not None:
                cur = cur + torch.mm(spk_rec[k - 2], V)
            syn = syn + cur
        new_mem = pvv * mem + pvi * syn
        syn = pii * syn
        out = spike_fn(new_mem - v_th)
        if frozen_reset is not None:
            rst = frozen_reset[k]
        elif cfg['reset_gradient']:
            rst = out
        else:
            rst = out.detach()
        if record_reset is not None:
            record_reset.append(rst.detach().clone())
        mem = new_mem * (1.0 - rst) + v_reset * rst
        spk_rec.append(out)
    spk = torch.stack(spk_rec, dim=1)

    # Readout: leaky integrator fed by the hidden spikes of step k-2.
    No = W2.shape[1]
    h2 = torch.einsum('btd,do->bto', spk[:, :-2], W2).unbind(1)
    osyn = torch.zeros((B, No), dtype=x.dtype, device=x.device)
    omem = torch.zeros((B, No), dtype=x.dtype, device=x.device)
    out_rec = []
    for k in range(T):
        if k > 1:
            osyn = osyn + h2[k - 2]
        omem = pvv * omem + pvi * osyn
        osyn = pii * osyn
        out_rec.append(omem)
    vout = torch.stack(out_rec, dim=1)  # [B, T, No]

    readout = cfg['readout']
    if readout == 'max_over_time':
        m, _ = torch.max(vout, dim=1)
    elif readout == 'mean_over_time':
        m = vout.mean(dim=1)
    elif readout == 'last':
        m = vout[:, -1]
    else:
        raise ValueError(f'unknown readout {readout!r}')

    log_p = F.log_softmax(m, dim=1)
    loss = F.nll_loss(log_p, cfg['labels'])
    if cfg.get('reg_weight', 0.0):
        counts = spk.sum(dim=1)  # [B, N]
        loss = loss + cfg['reg_weight'] * torch.mean(counts ** 2)
    return loss, spk


def dense_input(inputs, T, n_in, dtype=torch.float64, device='cpu'):
    """[[ [step, unit], ... ] per sample] -> spike counts [B, T, n_in] (repeats add up)."""
    x = torch.zeros((len(inputs), T, n_in), dtype=dtype)
    for b, events in enumerate(inputs):
        for step, unit in events:
            step, unit = int(step), int(unit)
            if not (0 <= step < T and 0 <= unit < n_in):
                raise ValueError(f'sample {b}: event [{step}, {unit}] outside T={T}, n_in={n_in}')
            x[b, step, unit] += 1.0
    return x.to(device)


# ---------------------------------------------------------------- mode: grad

def cmd_grad(path):
    spec = json.load(sys.stdin if path == '-' else open(path))
    dt64 = torch.float64
    n_in, N, No, T = int(spec['n_in']), int(spec['n_hidden']), int(spec['n_out']), int(spec['T'])

    def param(key, rows, cols):
        flat = spec[key]
        if len(flat) != rows * cols:
            raise ValueError(f'{key}: {len(flat)} values, expected {rows}*{cols}')
        return torch.tensor(flat, dtype=dt64).reshape(rows, cols).requires_grad_(True)

    W1 = param('W1', n_in, N)
    V = param('V', N, N) if spec.get('recurrent') else None
    W2 = param('W2', N, No)
    name, params = parse_surrogate(spec.get('surrogate', 'fast_sigmoid'))
    cfg = {
        'dt': float(spec['dt']), 'tau_mem': float(spec['tau_mem']), 'tau_syn': float(spec['tau_syn']),
        'v_th': float(spec['v_th']), 'v_reset': float(spec.get('v_reset', 0.0)),
        'readout': spec.get('readout', 'max_over_time'),
        'reset_gradient': bool(spec.get('reset_gradient', False)),
        'reg_weight': float(spec.get('reg_weight') or 0.0),
        'labels': torch.tensor([int(l) for l in spec['labels']], dtype=torch.long),
    }
    x = dense_input(spec['inputs'], T, n_in, dt64)
    if len(spec['labels']) != x.shape[0]:
        raise ValueError('labels and inputs differ in length')

    loss, spk = run_network(x, W1, V, W2, cfg, surrogate_spike_fn(name, params))
    loss.backward()
    counts = spk.detach().sum(dim=(1, 2))
    result = {
        'loss': loss.item(),
        'grads': {
            'W1': W1.grad.reshape(-1).tolist(),
            'V': V.grad.reshape(-1).tolist() if V is not None else None,
            'W2': W2.grad.reshape(-1).tolist(),
        },
        'spike_counts': [int(round(c)) for c in counts.tolist()],
    }
    print(json.dumps(result))


# ---------------------------------------------------------------- mode: selftest

def cmd_selftest():
    torch.manual_seed(1)
    dt64 = torch.float64
    ok = True
    lines = []

    # 1. The propagator against the matrix exponential of the linear system (v, i): mpmath's
    #    expm at 40 digits when mpmath is there (torch's matrix_exp loses ~1e-12 near ts = tm).
    try:
        import mpmath
        mpmath.mp.dps = 40

        def expm(tm, ts, dt):
            P = mpmath.expm(mpmath.matrix([[-1 / mpmath.mpf(tm), 1 / mpmath.mpf(tm)], [0, -1 / mpmath.mpf(ts)]]) * dt)
            return [[float(P[r, c]) for c in range(2)] for r in range(2)]
        prop_tol, prop_ref = 1e-14, 'mpmath.expm'
    except ImportError:
        def expm(tm, ts, dt):
            A = torch.tensor([[-1.0 / tm, 1.0 / tm], [0.0, -1.0 / ts]], dtype=dt64)
            return torch.linalg.matrix_exp(A * dt).tolist()
        prop_tol, prop_ref = 1e-10, 'torch.linalg.matrix_exp'
    worst_prop = 0.0
    for dt, tm, ts in [(1e-3, 10e-3, 5e-3), (1e-3, 5e-3, 10e-3), (0.1, 20.0, 20.0), (1.0, 3.0, 3.0 * (1 + 1e-9)),
                       (0.5, 2.0, 7.0), (0.1, 1e-3, 50.0)]:
        P = expm(tm, ts, dt)
        pvv, pvi, pii = propagator(dt, tm, ts)
        for a, r in zip((pvv, pvi, pii), (P[0][0], P[0][1], P[1][1])):
            worst_prop = max(worst_prop, abs(a - r) / abs(r))
        if P[1][0] != 0:
            worst_prop = max(worst_prop, 1.0)
    lines.append(f'propagator vs {prop_ref}: max rel err {worst_prop:.3e}')
    ok &= worst_prop < prop_tol

    # 2. Each surrogate against autograd of a primitive whose derivative it is.
    xs = torch.linspace(-0.37, 0.41, 41, dtype=dt64)  # avoids 0 and the triangle's corners
    prims = {
        'fast_sigmoid': lambda x, p: x / (1 + p['beta'] * x.abs()),
        'sigmoid': lambda x, p: torch.sigmoid(p['beta'] * x),
        'triangle': lambda x, p: torch.where(x.abs() < p['width'], x - x * x.abs() / (2 * p['width']),
                                             torch.sign(x) * p['width'] / 2),
        'slayer': lambda x, p: p['alpha'] * torch.sign(x) * (1 - torch.exp(-p['beta'] * x.abs())) / p['beta'],
        'arctan': lambda x, p: torch.atan(math.pi / 2 * p['alpha'] * x) / math.pi,
    }
    worst_surr = 0.0
    for name in SURROGATE_DEFAULTS:
        for spec in ({'name': name}, {'name': name, **{k: 0.3 * v + 0.5 for k, v in SURROGATE_DEFAULTS[name].items()}}):
            sname, p = parse_surrogate(spec)
            xr = xs.clone().requires_grad_(True)
            SurrGradSpike.apply(xr, sname, p).sum().backward()
            xp = xs.clone().requires_grad_(True)
            prims[sname](xp, p).sum().backward()
            worst_surr = max(worst_surr, ((xr.grad - xp.grad).abs().max() / xp.grad.abs().max()).item())
    lines.append(f'surrogates vs derivative of their primitives: max rel err {worst_surr:.3e}')
    ok &= worst_surr < 1e-12

    # 3. Autograd gradients of a tiny network against central finite differences, with the spike
    #    replaced by sigmoid(beta m) forward and backward. With a detached reset the autograd
    #    gradient is that of the network whose reset signal is held fixed, so the finite
    #    differences hold it at the unperturbed run's values.
    B, T, n_in, N, No = 3, 14, 4, 5, 3
    x = (torch.rand((B, T, n_in), dtype=dt64) < 0.3).to(dt64)
    x[0, 2, 1] = 2.0  # a repeated event
    W1_0 = torch.randn((n_in, N), dtype=dt64) * 1.5
    V_0 = torch.randn((N, N), dtype=dt64) * 0.8
    W2_0 = torch.randn((N, No), dtype=dt64) * 1.0
    labels = torch.tensor([0, 2, 1])
    beta = 4.0
    spike_fn = lambda m: SmoothSpike.apply(m, beta)  # noqa: E731
    h = 1e-5
    worst = 0.0
    cases = []
    for recurrent in (True, False):
        for readout in ('max_over_time', 'mean_over_time', 'last'):
            for reset_gradient in (False, True):
                for reg in (0.0, 0.01):
                    cases.append((recurrent, readout, reset_gradient, reg, 5.0))
    cases.append((True, 'max_over_time', False, 0.01, 10.0))  # tau_syn == tau_mem
    for recurrent, readout, reset_gradient, reg, tau_syn in cases:
        cfg = {'dt': 1.0, 'tau_mem': 10.0, 'tau_syn': tau_syn, 'v_th': 1.0, 'v_reset': -0.2,
               'readout': readout, 'reset_gradient': reset_gradient, 'reg_weight': reg, 'labels': labels}
        W = {'W1': W1_0.clone().requires_grad_(True), 'W2': W2_0.clone().requires_grad_(True)}
        W['V'] = V_0.clone().requires_grad_(True) if recurrent else None
        rec = []
        loss, _ = run_network(x, W['W1'], W['V'], W['W2'], cfg, spike_fn, record_reset=rec)
        loss.backward()
        frozen = None if reset_gradient else rec

        def f(w1, v, w2):
            with torch.no_grad():
                return run_network(x, w1, v, w2, cfg, spike_fn, frozen_reset=frozen)[0].item()

        case_worst = 0.0
        for key in ('W1', 'V', 'W2'):
            if W[key] is None:
                continue
            base = {k: (t.detach().clone() if t is not None else None) for k, t in W.items()}
            fd = torch.zeros_like(base[key])
            for idx in range(fd.numel()):
                plus = {k: (t.clone() if t is not None else None) for k, t in base.items()}
                minus = {k: (t.clone() if t is not None else None) for k, t in base.items()}
                plus[key].view(-1)[idx] += h
                minus[key].view(-1)[idx] -= h
                fd.view(-1)[idx] = (f(plus['W1'], plus['V'], plus['W2']) -
                                    f(minus['W1'], minus['V'], minus['W2'])) / (2 * h)
            ad = W[key].grad
            err = ((ad - fd).abs().max() / fd.abs().max().clamp_min(1e-300)).item()
            case_worst = max(case_worst, err)
        worst = max(worst, case_worst)
        lines.append(f'  recurrent={recurrent!s:5} readout={readout:14} reset_gradient={reset_gradient!s:5} '
                     f'reg={reg:<4} tau_syn={tau_syn:<4}: rel err {case_worst:.3e}')
    lines.insert(2, f'autograd vs central differences (h={h}, smooth spike beta={beta}), '
                    f'max |ad - fd| / max |fd| per tensor: {worst:.3e}')
    ok &= worst < 1e-6
    print('\n'.join(lines))
    print(json.dumps({'selftest': 'pass' if ok else 'FAIL', 'max_rel_err_grad': worst,
                      'max_rel_err_propagator': worst_prop, 'max_rel_err_surrogates': worst_surr}))
    return 0 if ok else 1


# ---------------------------------------------------------------- mode: bench

NETS = {
    # SpyTorch tutorial 1 shape with recurrence and randman-style input (one spike per unit).
    'randman': {'n_in': 100, 'n_hidden': 200, 'n_out': 2, 'T': 200},
    # SpyTorch tutorial 4 (SHD): 700 -> 200 recurrent -> 20, 100 steps.
    'shd': {'n_in': 700, 'n_hidden': 200, 'n_out': 20, 'T': 100},
}


def make_input(net, B, T, n_in, gen):
    if net == 'randman':
        # each input unit fires exactly once per sample, at a uniformly random step
        steps = torch.randint(0, T, (B, n_in), generator=gen)
        x = torch.zeros((B, T, n_in))
        x.scatter_(1, steps.unsqueeze(1), 1.0)
        return x
    return (torch.rand((B, T, n_in), generator=gen) < 0.015).float()


def cmd_bench(argv):
    import argparse
    import resource
    ap = argparse.ArgumentParser(prog='torch_snn.py bench')
    ap.add_argument('--net', choices=sorted(NETS), required=True)
    ap.add_argument('--batch', type=int, default=256)
    ap.add_argument('--steps', type=int, default=None, help='time steps T (default: the net\'s)')
    ap.add_argument('--iters', type=int, default=10)
    ap.add_argument('--threads', type=int, default=None)
    ap.add_argument('--device', choices=['cpu', 'cuda'], default='cpu')
    ap.add_argument('--dtype', choices=['float32', 'float64'], default='float32')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--surrogate', default='fast_sigmoid:beta=100',
                    help='NAME[:key=value,...], e.g. triangle:width=0.3 (default SpyTorch\'s fast_sigmoid:beta=100)')
    ap.add_argument('--weight-scale', type=float, default=0.2,
                    help='weights ~ normal(0, scale/sqrt(fan_in)) (SpyTorch T3/T4: 0.2)')
    a = ap.parse_args(argv)
    if a.threads is not None:
        torch.set_num_threads(a.threads)
    if a.device == 'cuda' and not torch.cuda.is_available():
        sys.exit('torch_snn.py: --device cuda but torch.cuda.is_available() is false')
    dev = torch.device(a.device)
    dtype = getattr(torch, a.dtype)
    shape = NETS[a.net]
    T = a.steps or shape['T']
    n_in, N, No, B = shape['n_in'], shape['n_hidden'], shape['n_out'], a.batch

    def sync():
        if dev.type == 'cuda':
            torch.cuda.synchronize()

    baseline_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if dev.type == 'cuda':
        torch.cuda.reset_peak_memory_stats()

    gen = torch.Generator().manual_seed(a.seed)
    x = make_input(a.net, B, T, n_in, gen).to(device=dev, dtype=dtype)
    labels = torch.randint(0, No, (B,), generator=gen).to(dev)
    # SpyTorch's initialisation: normal(0, weight_scale / sqrt(fan_in)), weight_scale = 0.2
    ws = a.weight_scale
    W1 = (torch.randn((n_in, N), generator=gen) * (ws / math.sqrt(n_in))).to(dev, dtype).requires_grad_(True)
    V = (torch.randn((N, N), generator=gen) * (ws / math.sqrt(N))).to(dev, dtype).requires_grad_(True)
    W2 = (torch.randn((N, No), generator=gen) * (ws / math.sqrt(N))).to(dev, dtype).requires_grad_(True)
    cfg = {'dt': 1e-3, 'tau_mem': 10e-3, 'tau_syn': 5e-3, 'v_th': 1.0, 'v_reset': 0.0,
           'readout': 'max_over_time', 'reset_gradient': False, 'reg_weight': 0.0, 'labels': labels}
    sname, _, sparams = a.surrogate.partition(':')
    sspec = {'name': sname, **{k: float(v) for k, v in (kv.split('=') for kv in sparams.split(',') if kv)}}
    spike_fn = surrogate_spike_fn(*parse_surrogate(sspec))
    opt = torch.optim.Adam([W1, V, W2], lr=2e-3, betas=(0.9, 0.999))

    def train_step():
        opt.zero_grad(set_to_none=True)
        loss, spk = run_network(x, W1, V, W2, cfg, spike_fn)
        loss.backward()
        opt.step()
        return spk

    spk = train_step()  # warm-up
    rate = spk.detach().mean().item()  # hidden spikes per neuron and step, at the start
    del spk
    sync()
    t0 = time.perf_counter()
    for _ in range(a.iters):
        train_step()
    sync()
    seconds = time.perf_counter() - t0

    if dev.type == 'cuda':
        peak, peak_what = torch.cuda.max_memory_allocated(), 'torch.cuda.max_memory_allocated'
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - baseline_rss
        peak_what = 'ru_maxrss*1024 minus ru_maxrss*1024 after importing torch, before building tensors'
    print(json.dumps({
        'net': a.net, 'device': a.device, 'dtype': a.dtype, 'batch': B, 'steps': T,
        'samples_per_s': B * a.iters / seconds, 'seconds_per_iter': seconds / a.iters,
        'peak_memory_bytes': peak, 'peak_memory_what': peak_what,
        'torch': torch.__version__, 'threads': torch.get_num_threads(),
        'iters': a.iters, 'weight_scale': ws, 'hidden_spikes_per_neuron_step': rate, 'surrogate': a.surrogate,
    }))


# ---------------------------------------------------------------- main

def main(argv):
    usage = ('usage: torch_snn.py grad IN.json | bench --net randman|shd [--batch 256] [--steps T] '
             '[--iters N] [--threads K] [--device cpu|cuda] [--dtype float32|float64] | selftest')
    if len(argv) < 1:
        sys.exit(usage)
    mode = argv[0]
    if mode == 'grad' and len(argv) == 2:
        cmd_grad(argv[1])
        return 0
    if mode == 'bench':
        cmd_bench(argv[1:])
        return 0
    if mode == 'selftest' and len(argv) == 1:
        return cmd_selftest()
    sys.exit(usage)


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
