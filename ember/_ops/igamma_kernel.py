"""The regularized incomplete gamma functions P(a, x) and Q(a, x) = 1 - P(a, x), in float64,
shared by torch.igamma / igammac / special.gammainc / gammaincc (ember/_ops/extra_math.py) and
the Gamma distribution's cdf and implicit reparameterization gradient
(ember/distributions/_special.py).

Each entry is computed by the method that gives the wanted function its own precision:
- x < a + 1: the power series of P (all terms positive); Q = 1 - P, except for a < 1 and
  x < 1.1, where P is near 1 and Q comes from its own alternating series;
- x >= a + 1: Lentz's continued fraction for Q; P = 1 - Q;
- a > 1e5 with x within 5% of a (where both would need thousands of terms): Temme's uniform
  asymptotic expansion, Q = erfc(eta sqrt(a/2)) / 2 + R, its first term and a half.
The prefactor x^a e^-x / Gamma(a) is taken in log form through Stirling's series for a >= 10,
so no two large logs cancel (a*log(x) - lgamma(a) would lose digits for large a).

Loops run over the entries still converging only (the converged ones are dropped every few
steps), never over the whole array.
"""
import math

from ember._backend import xp

_LOG_2PI = math.log(2 * math.pi)
_EULER = 0.5772156649015329


def _zeta(k, n=200):
    """Riemann zeta(k), k >= 2, by a partial sum and its Euler-Maclaurin tail."""
    head = math.fsum(i ** -k for i in range(1, n))
    return head + n ** (1 - k) / (k - 1) + 0.5 * n ** -k + k * n ** (-k - 1) / 12


# lgamma(1 + a) = -gamma a + sum_k (-1)^k zeta(k) a^k / k for |a| < 1 (used for a < 0.1)
_LGAMMA1P = [(-1) ** k * _zeta(k) / k for k in range(2, 18)]


def _lgamma1p(a):
    """log Gamma(1 + a) without losing a's digits when a is tiny."""
    from ember._ops.special import lgamma_array

    out = lgamma_array(a + 1.0)
    small = a < 0.1
    if small.any():
        s = a[small]
        acc = xp.zeros_like(s)
        for c in reversed(_LGAMMA1P):
            acc = (acc + c) * s
        out[small] = (acc - _EULER) * s
    return out


def _log_front(a, x):
    """log(x^a e^-x / Gamma(a)) for a, x > 0."""
    from ember._ops.special import lgamma_array

    big = a >= 10.0
    nbig = int(xp.count_nonzero(big))
    if nbig == a.size:
        return _log_front_stirling(a, x)
    out = a * xp.log(x) - x - lgamma_array(a)
    if nbig:
        out[big] = _log_front_stirling(a[big], x[big])
    return out


def _log_front_stirling(a, x):
    """_log_front for a >= 10 through Stirling's series for lgamma(a) - ((a - 1/2) log a -
    a + log(2 pi) / 2): a log(x/a) + a - x is then taken as a (log1p(t) - t), t = x/a - 1,
    exact near x = a; far from it t's rounding would cost 1 + t its digits, so the plain log
    of the ratio is better there."""
    r = 1.0 / a
    r2 = r * r
    tail = r * (1 / 12 + r2 * (-1 / 360 + r2 * (1 / 1260 + r2 * (
        -1 / 1680 + r2 * (1 / 1188 + r2 * (-691 / 360360 + r2 / 156))))))
    d = x - a
    t = d * r
    lr = xp.where(xp.abs(t) < 0.5, xp.log1p(t), xp.log(x * r))
    return a * lr - d + 0.5 * (xp.log(a) - _LOG_2PI) - tail


def _iterate(state, step, done, out, key, every=4, cap=20000):
    """Run `step` on the live entries of `state` (a dict of equal-length arrays, with "i"
    their positions in `out`) until `done` says each has converged, writing `state[key]` of
    the finished ones to `out`. Converged entries are dropped once they are a quarter of
    the live ones (they stay converged meanwhile: further terms add nothing), so the copies
    stay few."""
    n = 0
    while True:
        for _ in range(every):
            n += 1
            step(state, n)
        fin = done(state) if n < cap else xp.ones(state["i"].shape, dtype=bool)
        nfin = int(xp.count_nonzero(fin))
        if nfin == fin.size:
            out[state["i"]] = state[key]
            return out
        if 2 * nfin >= fin.size:
            out[state["i"][fin]] = state[key][fin]
            keep = ~fin
            for k in state:
                state[k] = state[k][keep]


def _series_p(a, x):
    """sum_n x^n / ((a+1) ... (a+n)) = P(a, x) a / front."""
    def step(s, n):
        t, an = s["t"], s["an"]
        an += 1.0  # a + n
        t *= s["x"]
        t /= an
        s["s"] += t

    st = {"i": xp.arange(a.size), "an": a.copy(), "x": x, "t": xp.ones_like(a),
          "s": xp.ones_like(a)}
    return _iterate(st, step, lambda s: s["t"] <= 1e-17 * s["s"], xp.empty_like(a), "s", every=8)


def _series_q_small_x(a, x):
    """Q(a, x) for a < 1, x < 1.1 from gamma(a, x) = sum_n (-1)^n x^(a+n) / (n! (a+n)):
    Q = -expm1(a log x - lgamma(1 + a)) - x^a / Gamma(a) sum_(n>=1) (-x)^n / (n! (a+n))."""
    from ember._ops.special import lgamma_array

    def step(s, n):
        s["f"] *= -s["x"] / n
        s["t"] = s["f"] / (s["a"] + n)
        s["s"] += s["t"]

    st = {"i": xp.arange(a.size), "a": a, "x": x, "f": xp.ones_like(a),
          "t": xp.ones_like(a), "s": xp.zeros_like(a)}
    total = _iterate(st, step, lambda s: xp.abs(s["t"]) <= 1e-17 * xp.abs(s["s"]),
                     xp.empty_like(a), "s", every=8)
    logx = xp.log(x)
    return -xp.expm1(a * logx - _lgamma1p(a)) - xp.exp(a * logx - lgamma_array(a)) * total


def _cf_q(a, x):
    """Lentz's continued fraction for Q(a, x) / front (x >= a + 1)."""
    tiny = 1e-300
    b = x + 1.0 - a
    d = 1.0 / b

    def step(s, n):
        an = s["a"] - n
        an *= n
        s["b"] += 2.0
        d, c = s["d"], s["c"]
        d *= an
        d += s["b"]
        xp.divide(an, c, out=c)
        c += s["b"]
        if not (d.all() and c.all()):  # a zero would stall the recurrence: nudge it
            d[d == 0] = tiny
            c[c == 0] = tiny
        xp.divide(1.0, d, out=d)
        xp.multiply(d, c, out=s["del"])
        s["h"] *= s["del"]

    st = {"i": xp.arange(a.size), "a": a, "b": b, "c": xp.full_like(a, 1.0 / tiny), "d": d,
          "h": d.copy(), "del": xp.zeros_like(a)}
    return _iterate(st, step, lambda s: xp.abs(s["del"] - 1.0) <= 2e-16, xp.empty_like(a), "h")


def _temme(a, x):
    """(P, Q) by Temme's expansion, for large a with x near a: eta^2 / 2 = lam - 1 - log lam
    (eta the sign of lam - 1, lam = x / a), Q = erfc(eta sqrt(a/2)) / 2 + R and
    R = exp(-a eta^2 / 2) / sqrt(2 pi a) (c0(eta) + c1(eta) / a), c1 taken at eta = 0."""
    from ember._ops.special import erfc_array

    mu = (x - a) / a
    eta = xp.sqrt(2.0 * (mu - xp.log1p(mu)))
    eta = xp.where(mu < 0, -eta, eta)
    near = xp.abs(eta) < 1e-3
    safe_mu = xp.where(near, 1.0, mu)
    safe_eta = xp.where(near, 1.0, eta)
    c0 = xp.where(near, -1 / 3 + eta * (1 / 12 + eta * (-2 / 135 + eta / 864)),
                  1.0 / safe_mu - 1.0 / safe_eta)
    r = xp.exp(-0.5 * a * eta * eta) / xp.sqrt(2 * math.pi * a) * (c0 - 1 / (540 * a))
    z = eta * xp.sqrt(0.5 * a)
    return 0.5 * erfc_array(-z) - r, 0.5 * erfc_array(z) + r


def regularized_gamma(a, x, upper=False):
    """P(a, x) (upper=False) or Q(a, x) (upper=True) in float64, elementwise over the
    broadcast of a and x (any real dtype), with PyTorch's values at the edges: P(a, 0) = 0,
    P(0, x > 0) = 1, P(a, inf) = 1, P(inf, x) = 0, NaN for negative or NaN arguments and for
    (0, 0) and (inf, inf)."""
    a, x = xp.broadcast_arrays(xp.asarray(a, xp.float64), xp.asarray(x, xp.float64))
    shape = a.shape
    a, x = a.ravel(), x.ravel()
    out = xp.full(a.shape, xp.nan)
    with xp.errstate(all="ignore"):
        if a.size and min(a.min(), x.min()) > 0 and max(a.max(), x.max()) < xp.inf:
            ok = None  # the common case (NaN fails the test): all inside the domain
        else:
            ok = (a > 0) & (x > 0) & (a < xp.inf) & (x < xp.inf)
        # the edges (P's values; Q = 1 - P there)
        edge = None if ok is None else ~ok & (a >= 0) & (x >= 0)
        if edge is not None and edge.any():
            ea, ex = a[edge], x[edge]
            p = xp.full(ea.shape, xp.nan)
            p[(ex == 0) & (ea > 0)] = 0.0
            p[(ea == 0) & (ex > 0)] = 1.0
            p[(ex == xp.inf) & (ea < xp.inf)] = 1.0
            p[(ea == xp.inf) & (ex < xp.inf)] = 0.0
            out[edge] = 1.0 - p if upper else p
        if ok is None:
            idx = None  # the common case: no gather, masks index `out` directly
        else:
            idx = xp.flatnonzero(ok)
            if idx.size == 0:
                return out.reshape(shape)
            a, x = a[idx], x[idx]
        target = out if idx is None else None

        def put(mask, v):
            if target is None:
                out[idx[mask]] = v
            else:
                target[mask] = v

        temme = (a > 1e5) & (xp.abs(x - a) < 0.05 * a) if a.max() > 1e5 else None
        series = x < a + 1.0
        if not upper:
            # NOTE: P's series (all terms positive) is exact up to x = 15 whatever a, and
            # quicker there than the fraction, which crawls just above a + 1 for small a;
            # Q keeps the fraction so that its small values keep their digits
            series |= x < 15.0
        cf = ~series
        if temme is not None and temme.any():
            put(temme, _temme(a[temme], x[temme])[1 if upper else 0])
            series &= ~temme
            cf &= ~temme
        if upper:
            qsmall = series & (a < 1.0) & (x < 1.1)
            if qsmall.any():
                put(qsmall, _series_q_small_x(a[qsmall], x[qsmall]))
                series &= ~qsmall
        for mask, fn in ((series, _series_p), (cf, _cf_q)):
            if not mask.any():
                continue
            sa, sx = a[mask], x[mask]
            v = fn(sa, sx)
            v *= xp.exp(_log_front(sa, sx))
            if fn is _series_p:
                v /= sa
            if upper != (fn is _cf_q):
                xp.subtract(1.0, v, out=v)
            put(mask, v)
    return out.reshape(shape)
