//! Cholesky factorisation, triangular solves with several right-hand sides, and the inverse of a
//! symmetric positive-definite matrix. Row-major storage throughout.

use crate::kernels::{axpy, dot};

/// Lower-triangular L with A = L·Lᵀ, from the lower triangle of the n×n matrix `a` (the upper
/// triangle is not read). `l` receives L with zeros above the diagonal.
///
/// Returns `Err((i, s))` when the pivot at row i, s = a_ii − Σ_k l_ik², is not positive (or not
/// finite); rows before i of `l` hold the partial factor.
pub fn cholesky(a: &[f64], n: usize, l: &mut [f64]) -> Result<(), (usize, f64)> {
    let lp = l.as_mut_ptr();
    for i in 0..n {
        for j in 0..i {
            let s = a[i * n + j] - unsafe { dot(lp.add(i * n), lp.add(j * n), j) };
            l[i * n + j] = s / l[j * n + j];
        }
        let s = a[i * n + i] - unsafe { dot(lp.add(i * n), lp.add(i * n), i) };
        if !(s > 0.0 && s.is_finite()) {
            return Err((i, s));
        }
        l[i * n + i] = s.sqrt();
        for j in i + 1..n {
            l[i * n + j] = 0.0;
        }
    }
    Ok(())
}

/// Solves op(T)·X = B in place (`b` is n×nrhs, row-major, overwritten by X), where T is the
/// lower (`lower`) or upper triangle of `t` and op is the transpose when `transpose` is set.
/// Only that triangle of `t` is read. Returns `Err(i)` for a zero diagonal entry t_ii.
pub fn solve_triangular(
    t: &[f64],
    n: usize,
    b: &mut [f64],
    nrhs: usize,
    lower: bool,
    transpose: bool,
) -> Result<(), usize> {
    for i in 0..n {
        if t[i * n + i] == 0.0 {
            return Err(i);
        }
    }
    let bp = b.as_mut_ptr();
    let tp = t.as_ptr();
    let row = |i: usize| unsafe { bp.add(i * nrhs) };
    // A forward sweep solves a lower-triangular system (L, or Uᵀ); a backward one an upper one.
    let forward = lower != transpose;
    unsafe {
        if !transpose {
            // Row-oriented: X_i = (B_i − Σ_k T_ik·X_k) / T_ii over the already solved k.
            for step in 0..n {
                let i = if forward { step } else { n - 1 - step };
                let (k0, k1) = if forward { (0, i) } else { (i + 1, n) };
                if nrhs == 1 {
                    let s = dot(tp.add(i * n + k0), bp.add(k0), k1 - k0);
                    *bp.add(i) = (*bp.add(i) - s) / t[i * n + i];
                } else {
                    for k in k0..k1 {
                        let tik = t[i * n + k];
                        if tik != 0.0 {
                            axpy(-tik, row(k), row(i), nrhs);
                        }
                    }
                    let inv = 1.0 / t[i * n + i];
                    for c in 0..nrhs {
                        *row(i).add(c) *= inv;
                    }
                }
            }
        } else {
            // Column-oriented on Tᵀ: finish X_i, then eliminate it from the unsolved rows using
            // row i of T, which is column i of Tᵀ.
            for step in 0..n {
                let i = if forward { step } else { n - 1 - step };
                let inv = 1.0 / t[i * n + i];
                for c in 0..nrhs {
                    *row(i).add(c) *= inv;
                }
                let (k0, k1) = if forward { (i + 1, n) } else { (0, i) };
                if nrhs == 1 {
                    axpy(-*bp.add(i), tp.add(i * n + k0), bp.add(k0), k1 - k0);
                } else {
                    for k in k0..k1 {
                        let tik = t[i * n + k];
                        if tik != 0.0 {
                            axpy(-tik, row(i), row(k), nrhs);
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// A⁻¹ of the symmetric positive-definite n×n matrix `a` (lower triangle read) via its Cholesky
/// factor: A⁻¹ = L⁻ᵀ·L⁻¹, symmetrised. `out` receives the full matrix. Errors as [`cholesky`].
pub fn spd_inverse(a: &[f64], n: usize, out: &mut [f64]) -> Result<(), (usize, f64)> {
    let mut l = vec![0.0; n * n];
    cholesky(a, n, &mut l)?;
    for i in 0..n {
        for j in 0..n {
            out[i * n + j] = if i == j { 1.0 } else { 0.0 };
        }
    }
    // The diagonal of L is positive, so the solves cannot fail.
    let _ = solve_triangular(&l, n, out, n, true, false);
    let _ = solve_triangular(&l, n, out, n, true, true);
    for i in 0..n {
        for j in 0..i {
            let m = 0.5 * (out[i * n + j] + out[j * n + i]);
            out[i * n + j] = m;
            out[j * n + i] = m;
        }
    }
    Ok(())
}
