//! Eigenvalues of a symmetric tridiagonal matrix without eigenvectors: the root-free QL/QR
//! iteration of Pal, Walker and Kahan, as LAPACK `dsterf`. It works on the squares of the
//! off-diagonal, so a rotation costs no square root (the square-root QL/QR of
//! [`crate::eigh`] spends about half its scalar time in `hypot`). eigh uses these values as the
//! shifts of the pass that accumulates eigenvectors.
//!
//! Unlike `dsterf` there is no scaling to a safe range: eigh calls this on a matrix whose entries
//! were scaled by a power of two into [0.5, 1) in magnitude (a tridiagonal built by orthogonal
//! similarity stays within a factor n of that), where the squares cannot overflow or underflow to
//! a harmful degree. Callers with other data must scale first.

/// Most sweeps, times n (LAPACK's `maxit`).
const MAX_SWEEPS_PER_ROW: usize = 30;

/// Eigenvalues of the symmetric tridiagonal matrix with diagonal `d` and off-diagonal `e`
/// (e[i] couples i and i+1; e[n−1] is ignored), written over `d` in no particular order; `e` is
/// destroyed. Returns `Err(i)` when the iteration did not converge within 30·n sweeps, i being an
/// index whose off-diagonal was still not negligible.
pub fn tridiagonal_values(d: &mut [f64], e: &mut [f64]) -> Result<(), usize> {
    let n = d.len();
    if n <= 1 {
        return Ok(());
    }
    let eps = f64::EPSILON / 2.0; // LAPACK dlamch('E'): the unit roundoff
    let eps2 = eps * eps;
    let max_sweeps = MAX_SWEEPS_PER_ROW * n;
    let mut sweeps = 0;
    let mut l1 = 0;
    while l1 < n {
        if l1 > 0 {
            e[l1 - 1] = 0.0;
        }
        // The unreduced block [l1, m].
        let mut m = l1;
        while m + 1 < n {
            if e[m].abs() <= d[m].abs().sqrt() * d[m + 1].abs().sqrt() * eps {
                e[m] = 0.0;
                break;
            }
            m += 1;
        }
        let (lsv, lendsv) = (l1, m);
        l1 = m + 1;
        if lendsv == lsv {
            continue;
        }
        for x in e[lsv..lendsv].iter_mut() {
            *x *= *x;
        }
        // QL from the top when the top is the smaller end, else QR from the bottom.
        if d[lendsv].abs() >= d[lsv].abs() {
            ql(d, e, lsv, lendsv, eps2, &mut sweeps, max_sweeps);
        } else {
            qr(d, e, lendsv, lsv, eps2, &mut sweeps, max_sweeps);
        }
        if sweeps >= max_sweeps {
            return match e[lsv..lendsv].iter().position(|&x| x != 0.0) {
                Some(i) => Err(lsv + i),
                None => Ok(()),
            };
        }
    }
    Ok(())
}

/// The shift from the leading (or trailing) 2×2 block: p = d(l), rte = √e, next = the
/// neighbouring diagonal entry.
fn shift(p: f64, rte: f64, next: f64) -> f64 {
    let sigma = (next - p) / (2.0 * rte);
    let r = crate::eigh::hypot(sigma, 1.0);
    p - rte / (sigma + r.copysign(sigma))
}

/// QL on the block [l, lend] (l ≤ lend), with squared off-diagonals in `e`.
fn ql(
    d: &mut [f64],
    e: &mut [f64],
    mut l: usize,
    lend: usize,
    eps2: f64,
    sweeps: &mut usize,
    max_sweeps: usize,
) {
    while l <= lend {
        let mut m = l;
        while m < lend {
            if e[m].abs() <= eps2 * (d[m] * d[m + 1]).abs() {
                break;
            }
            m += 1;
        }
        if m < lend {
            e[m] = 0.0;
        }
        let p = d[l];
        if m == l {
            l += 1; // d[l] has converged
            continue;
        }
        if m == l + 1 {
            let (rt1, rt2) = eig2(d[l], e[l].sqrt(), d[l + 1]);
            d[l] = rt1;
            d[l + 1] = rt2;
            e[l] = 0.0;
            l += 2;
            continue;
        }
        if *sweeps >= max_sweeps {
            return;
        }
        *sweeps += 1;
        let sigma = shift(p, e[l].sqrt(), d[l + 1]);
        let (mut c, mut s) = (1.0, 0.0);
        let mut gamma = d[m] - sigma;
        let mut p = gamma * gamma;
        let mut i = m;
        while i > l {
            i -= 1;
            let bb = e[i];
            let r = p + bb;
            if i != m - 1 {
                e[i + 1] = s * r;
            }
            let oldc = c;
            c = p / r;
            s = bb / r;
            let oldgam = gamma;
            let alpha = d[i];
            gamma = c * (alpha - sigma) - s * oldgam;
            d[i + 1] = oldgam + (alpha - gamma);
            p = if c != 0.0 {
                gamma * gamma / c
            } else {
                oldc * bb
            };
        }
        e[l] = s * p;
        d[l] = sigma + gamma;
    }
}

/// QR on the block [lend, l] (lend ≤ l), from the bottom, with squared off-diagonals in `e`.
fn qr(
    d: &mut [f64],
    e: &mut [f64],
    mut l: usize,
    lend: usize,
    eps2: f64,
    sweeps: &mut usize,
    max_sweeps: usize,
) {
    loop {
        let mut m = l;
        while m > lend {
            if e[m - 1].abs() <= eps2 * (d[m] * d[m - 1]).abs() {
                break;
            }
            m -= 1;
        }
        if m > lend {
            e[m - 1] = 0.0;
        }
        let p = d[l];
        if m == l {
            if l == lend {
                return;
            }
            l -= 1;
            continue;
        }
        if m + 1 == l {
            let (rt1, rt2) = eig2(d[l], e[l - 1].sqrt(), d[l - 1]);
            d[l] = rt1;
            d[l - 1] = rt2;
            e[l - 1] = 0.0;
            if l < lend + 2 {
                return;
            }
            l -= 2;
            continue;
        }
        if *sweeps >= max_sweeps {
            return;
        }
        *sweeps += 1;
        let sigma = shift(p, e[l - 1].sqrt(), d[l - 1]);
        let (mut c, mut s) = (1.0, 0.0);
        let mut gamma = d[m] - sigma;
        let mut p = gamma * gamma;
        for i in m..l {
            let bb = e[i];
            let r = p + bb;
            if i != m {
                e[i - 1] = s * r;
            }
            let oldc = c;
            c = p / r;
            s = bb / r;
            let oldgam = gamma;
            let alpha = d[i + 1];
            gamma = c * (alpha - sigma) - s * oldgam;
            d[i] = oldgam + (alpha - gamma);
            p = if c != 0.0 {
                gamma * gamma / c
            } else {
                oldc * bb
            };
        }
        e[l - 1] = s * p;
        d[l] = sigma + gamma;
    }
}

/// Eigenvalues of [[a, b], [b, c]], the larger in magnitude first (LAPACK `dlae2`).
fn eig2(a: f64, b: f64, c: f64) -> (f64, f64) {
    let sm = a + c;
    let df = a - c;
    let adf = df.abs();
    let tb = b + b;
    let ab = tb.abs();
    let (acmx, acmn) = if a.abs() > c.abs() { (a, c) } else { (c, a) };
    let rt = if adf > ab {
        adf * (1.0 + (ab / adf) * (ab / adf)).sqrt()
    } else if adf < ab {
        ab * (1.0 + (adf / ab) * (adf / ab)).sqrt()
    } else {
        ab * core::f64::consts::SQRT_2
    };
    if sm < 0.0 {
        let rt1 = 0.5 * (sm - rt);
        (rt1, (acmx / rt1) * acmn - (b / rt1) * b)
    } else if sm > 0.0 {
        let rt1 = 0.5 * (sm + rt);
        (rt1, (acmx / rt1) * acmn - (b / rt1) * b)
    } else {
        (0.5 * rt, -0.5 * rt)
    }
}
