/**
 * Certified per-modality latent reduction by score-ratio matching (SBM-SRR, DESIGN stages 3–5 and
 * the maps of stage 7). The order of use:
 *
 * 1. `fitWhitening(z, n, dims)` → `whiten(w, z, n)`: u with every block N(0, I)-whitened;
 * 2. `new ScoreRatioNet(backend, { dim: D })`, `trainScoreRatio(net, u, n, { steps })` (or your own
 *    loop around `scoreRatioLoss`, after `net.setLinear(gaussianLinearInit(u, n, D))`);
 * 3. `estimateDiagnostic(net, u, n)` → H; `selectReduction(H, dims, { epsilon })` → ranks, bound,
 *    bases; `epsilonSweep(H, dims, fractions)`; diagnostics of H in `h_diagnostics.ts` (its Gaussian
 *    part, principal angles, the bound under a held-out H);
 * 4. `new ReductionMaps(backend, reductionMatrices(w, selection))`: `project(z)` → y and
 *    `lift(y, ξ)` → z on the device; `fullRankSelection(dims)` gives the whitened full-rank control.
 *
 * @module
 */
export * from "./whitening.ts";
export * from "./score_ratio.ts";
export * from "./diagnostic.ts";
export * from "./h_diagnostics.ts";
export * from "./reduce.ts";
