;; The 4×8 GEMM micro-kernel of wasm/cpu/src/gemm.rs with fused multiply-adds
;; (relaxed SIMD f32x4.relaxed_madd: one vfmadd on x86 with FMA3, instead of a mul and an add).
;; Built with `wat2wasm --enable-threads --enable-relaxed-simd micro_fma.wat -o ../../lib/cpu_fma.wasm`
;; and imported by the Rust module as env.micro_fma; used only where the runtime validates it.
;;
;; micro(kc, a, b, c, ldcBytes, add): c[0..4, 0..8] (+)= Σ_k a[k·4 + i]·b[k·8 + j] over packed
;; panels a (kc×4) and b (kc×8); c rows are ldcBytes apart; add ≠ 0 accumulates into c.
(module
  (import "env" "memory" (memory 1 65536 shared))
  (func (export "micro")
    (param $kc i32) (param $a i32) (param $b i32) (param $c i32) (param $ldc i32) (param $add i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128) (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $av v128) (local $p i32)
    (block $done
      (loop $k
        (br_if $done (i32.eqz (local.get $kc)))
        (local.set $b0 (v128.load (local.get $b)))
        (local.set $b1 (v128.load offset=16 (local.get $b)))
      (local.set $av (v128.load32_splat offset=0 (local.get $a)))
      (local.set $c00 (f32x4.relaxed_madd (local.get $av) (local.get $b0) (local.get $c00)))
      (local.set $c01 (f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c01)))
      (local.set $av (v128.load32_splat offset=4 (local.get $a)))
      (local.set $c10 (f32x4.relaxed_madd (local.get $av) (local.get $b0) (local.get $c10)))
      (local.set $c11 (f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c11)))
      (local.set $av (v128.load32_splat offset=8 (local.get $a)))
      (local.set $c20 (f32x4.relaxed_madd (local.get $av) (local.get $b0) (local.get $c20)))
      (local.set $c21 (f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c21)))
      (local.set $av (v128.load32_splat offset=12 (local.get $a)))
      (local.set $c30 (f32x4.relaxed_madd (local.get $av) (local.get $b0) (local.get $c30)))
      (local.set $c31 (f32x4.relaxed_madd (local.get $av) (local.get $b1) (local.get $c31)))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 32)))
        (local.set $kc (i32.sub (local.get $kc) (i32.const 1)))
        (br $k)))
    (local.set $p (local.get $c))
    (if (local.get $add)
      (then
      (v128.store (local.get $p) (f32x4.add (v128.load (local.get $p)) (local.get $c00)))
      (v128.store offset=16 (local.get $p) (f32x4.add (v128.load offset=16 (local.get $p)) (local.get $c01)))
      (local.set $p (i32.add (local.get $p) (local.get $ldc)))
      (v128.store (local.get $p) (f32x4.add (v128.load (local.get $p)) (local.get $c10)))
      (v128.store offset=16 (local.get $p) (f32x4.add (v128.load offset=16 (local.get $p)) (local.get $c11)))
      (local.set $p (i32.add (local.get $p) (local.get $ldc)))
      (v128.store (local.get $p) (f32x4.add (v128.load (local.get $p)) (local.get $c20)))
      (v128.store offset=16 (local.get $p) (f32x4.add (v128.load offset=16 (local.get $p)) (local.get $c21)))
      (local.set $p (i32.add (local.get $p) (local.get $ldc)))
      (v128.store (local.get $p) (f32x4.add (v128.load (local.get $p)) (local.get $c30)))
      (v128.store offset=16 (local.get $p) (f32x4.add (v128.load offset=16 (local.get $p)) (local.get $c31)))
      (local.set $p (i32.add (local.get $p) (local.get $ldc))))
      (else
      (v128.store (local.get $p) (local.get $c00))
      (v128.store offset=16 (local.get $p) (local.get $c01))
      (local.set $p (i32.add (local.get $p) (local.get $ldc)))
      (v128.store (local.get $p) (local.get $c10))
      (v128.store offset=16 (local.get $p) (local.get $c11))
      (local.set $p (i32.add (local.get $p) (local.get $ldc)))
      (v128.store (local.get $p) (local.get $c20))
      (v128.store offset=16 (local.get $p) (local.get $c21))
      (local.set $p (i32.add (local.get $p) (local.get $ldc)))
      (v128.store (local.get $p) (local.get $c30))
      (v128.store offset=16 (local.get $p) (local.get $c31))
      (local.set $p (i32.add (local.get $p) (local.get $ldc)))))))
