// Scalar special functions the op tables call (lgamma's derivative family, erfinv, the normal
// distribution's ndtr/ndtri/log_ndtr, erfcx, the modified Bessel functions I0/I1). The C++
// library has lgamma, erf and erfc; the rest are written here from the published methods each
// function names. Every one computes in double: a float32 op rounds the double result once, which
// keeps float32 within an ulp of the true value. Edge values (poles, 0, +-inf, NaN) follow
// PyTorch's (aten/src/ATen/native/Math.h) unless a comment says otherwise.
#pragma once

#include <cmath>
#include <limits>

namespace fngrad {
namespace special {

constexpr double kPi = 3.14159265358979323846;
constexpr double kSqrt2 = 1.41421356237309504880;
constexpr double kSqrt1_2 = 0.70710678118654752440;
constexpr double kSqrtPi = 1.77245385090551602730;
constexpr double kSqrt2Pi = 2.50662827463100050242;
constexpr double kTwoOverSqrtPi = 1.12837916709551257390;
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kEps = 1.1102230246251565e-16;  // 2^-53

// lgamma without the global `signgam` std::lgamma writes (the kernels run on several threads).
inline double lgamma(double x) {
  int sign;
  return ::lgamma_r(x, &sign);
}

// psi(x) = d/dx log Gamma(x): the recurrence psi(x) = psi(x + 1) - 1/x up to x >= 10, then the
// asymptotic series log x - 1/(2x) - sum B_2k / (2k x^2k) (Abramowitz & Stegun 6.3.5, 6.3.18);
// negative x by the reflection psi(1 - x) - psi(x) = pi cot(pi x), with cot evaluated at the
// fractional part of x (cot has period pi, and the fraction is exact).
inline double digamma(double x) {
  if (x == 0) return std::copysign(kInf, -x);  // PyTorch: -inf at +0, +inf at -0
  if (std::isnan(x) || x == -kInf) return kNaN;
  if (x < 0) {
    if (x == std::trunc(x)) return kNaN;  // the poles
    double whole;
    const double frac = std::modf(x, &whole);
    return digamma(1 - x) - kPi / std::tan(kPi * frac);
  }
  if (x == kInf) return kInf;
  double result = 0;
  while (x < 10) {
    result -= 1 / x;
    x += 1;
  }
  // B_2k / 2k for k = 1..7, innermost last.
  const double z = 1 / (x * x);
  const double series =
      z *
      (1.0 / 12 - z * (1.0 / 120 - z * (1.0 / 252 - z * (1.0 / 240 - z * (1.0 / 132 - z * (691.0 / 32760 - z / 12))))));
  return result + std::log(x) - 0.5 / x - series;
}

// The Hurwitz zeta function zeta(s, q) = sum_k (k + q)^-s, by Euler-Maclaurin summation (the
// method of Cephes' zeta.c): direct terms until q + k > 9, then the integral of the tail and its
// Bernoulli corrections. s <= 1 and the poles q = 0, -1, ... follow Cephes (inf / NaN); q = +inf
// gives the limit 0 (Cephes and PyTorch give NaN there).
inline double zeta(double s, double q) {
  if (std::isnan(s) || std::isnan(q)) return kNaN;
  if (s == 1) return kInf;
  if (s < 1) return kNaN;
  if (q == kInf) return 0;
  if (q <= 0) {
    if (q == std::floor(q)) return kInf;
    if (s != std::floor(s)) return kNaN;  // q^-s is not real
  }
  // (2k)! / B_2k for k = 1..12 (B_2 = 1/6, B_4 = -1/30, ..., B_24 = -236364091/2730).
  static constexpr double kFactOverBernoulli[12] = {
      12.0,
      -720.0,
      30240.0,
      -1209600.0,
      47900160.0,
      -1.8924375803183791606e9,
      7.47242496e10,
      -2.950130727918164224e12,
      1.1646782814350067249e14,
      -4.5979787224074726105e15,
      1.8152105401943546773e17,
      -7.1661652561756670113e18,
  };
  double sum = std::pow(q, -s);
  double a = q, b = 0;
  for (int i = 0; i < 9 || a <= 9;) {
    i++;
    a += 1;
    b = std::pow(a, -s);
    sum += b;
    if (std::fabs(b / sum) < kEps) return sum;
  }
  sum += b * a / (s - 1) - 0.5 * b;
  double rising = 1, k = 0;  // s (s + 1) ... (s + 2j - 2)
  for (double coef : kFactOverBernoulli) {
    rising *= s + k;
    b /= a;
    const double term = rising * b / coef;
    sum += term;
    if (std::fabs(term / sum) < kEps) break;
    k += 1;
    rising *= s + k;
    b /= a;
    k += 1;
  }
  return sum;
}

// The n-th derivative of digamma: psi^(n)(x) = (-1)^(n+1) n! zeta(n + 1, x) for n >= 1.
inline double polygamma(int64_t n, double x) {
  if (n == 0) return digamma(x);
  const double sign = (n % 2) ? 1.0 : -1.0;
  return sign * std::exp(lgamma(static_cast<double>(n) + 1)) * zeta(static_cast<double>(n) + 1, x);
}

// erfinv: M. Giles, "Approximating the erfinv function" (GPU Computing Gems, 2011), the
// single-precision polynomials in w = -log(1 - x^2), then Newton steps to double precision: on
// erf(y) = |x| below 1/2, on log(erfc(y)) = log(1 - |x|) above (1 - |x| is exact there).
inline double erfinv(double x) {
  if (std::isnan(x)) return x;
  const double ax = std::fabs(x);
  if (ax > 1) return kNaN;
  if (ax == 1) return std::copysign(kInf, x);
  if (ax == 0) return x;
  double w = -std::log((1 - ax) * (1 + ax));
  double p;
  if (w < 5) {
    w -= 2.5;
    p = 2.81022636e-08;
    p = 3.43273939e-07 + p * w;
    p = -3.5233877e-06 + p * w;
    p = -4.39150654e-06 + p * w;
    p = 0.00021858087 + p * w;
    p = -0.00125372503 + p * w;
    p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w;
    p = 1.50140941 + p * w;
  } else {
    w = std::sqrt(w) - 3;
    p = -0.000200214257;
    p = 0.000100950558 + p * w;
    p = 0.00134934322 + p * w;
    p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w;
    p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w;
    p = 2.83297682 + p * w;
  }
  double y = p * ax;
  // Above 1/2, Newton on log(erfc(y)) = log(1 - |x|): nearly quadratic in y, so it converges fast
  // also from the rough start the polynomial gives beyond its single-precision range.
  const double log_tail = std::log(1 - ax);
  for (int i = 0; i < 8; i++) {
    const double slope = kTwoOverSqrtPi * std::exp(-y * y);  // erf'(y)
    double dy;
    if (ax < 0.5) {
      dy = (std::erf(y) - ax) / slope;
    } else {
      const double c = std::erfc(y);
      dy = -(std::log(c) - log_tail) * c / slope;
    }
    y -= dy;
    if (std::fabs(dy) <= 1e-16 * y) break;
  }
  return std::copysign(y, x);
}

// The standard normal CDF, as Cephes' ndtr: erf near 0, erfc in the tails (no cancellation).
inline double ndtr(double x) {
  const double t = x * kSqrt1_2;
  const double z = std::fabs(t);
  if (z < kSqrt1_2) return 0.5 + 0.5 * std::erf(t);
  const double y = 0.5 * std::erfc(z);
  return t > 0 ? 1 - y : y;
}

// The inverse of ndtr. For p >= 1/4, sqrt(2) erfinv(2p - 1) (2p - 1 is exact there); below, the
// rational start of Abramowitz & Stegun 26.2.23 (error < 4.5e-4) refined by Halley steps on
// ndtr(y) = p (each triples the correct digits).
inline double ndtri(double p) {
  if (std::isnan(p)) return p;
  if (p < 0 || p > 1) return kNaN;
  if (p == 0) return -kInf;
  if (p == 1) return kInf;
  if (p >= 0.25) return kSqrt2 * erfinv(2 * p - 1);
  const double t = std::sqrt(-2 * std::log(p));
  double y = -(t - (2.515517 + t * (0.802853 + t * 0.010328)) / (1 + t * (1.432788 + t * (0.189269 + t * 0.001308))));
  for (int i = 0; i < 3; i++) {
    const double u = (ndtr(y) - p) * kSqrt2Pi * std::exp(0.5 * y * y);  // (ndtr(y) - p) / pdf(y)
    if (!std::isfinite(u)) break;  // p subnormal: the pdf underflows; keep the estimate
    y -= u / (1 + 0.5 * y * u);
  }
  return y;
}

// The scaled complementary error function exp(x^2) erfc(x). Below 10, the product with x^2 split
// exactly into hi + lo (so exp does not magnify the rounding of x*x); from 10 on, the asymptotic
// series 1/(x sqrt(pi)) sum (-1)^k (2k-1)!! / (2x^2)^k (A&S 7.1.23); negative x by
// erfcx(x) = 2 exp(x^2) - erfcx(-x).
inline double erfcx(double x) {
  if (std::isnan(x)) return x;
  const double hi = x * x;
  const double lo = std::fma(x, x, -hi);
  if (x < 0) {
    if (x < -26.7) return kInf;
    return 2 * std::exp(hi) * (1 + lo) - erfcx(-x);
  }
  if (x < 10) return std::exp(hi) * (1 + lo) * std::erfc(x);
  if (x == kInf) return 0;
  const double r = 1 / (2 * hi);
  double term = 1, sum = 1;
  for (int k = 1; k < 40; k++) {
    term *= -(2 * k - 1) * r;
    sum += term;
    if (std::fabs(term) < 1e-17) break;
  }
  return sum / (x * kSqrtPi);
}

// log(ndtr(x)), PyTorch's formula: through erfcx below -1 (where ndtr underflows long before its
// log does), log1p(-erfc / 2) above.
inline double log_ndtr(double x) {
  const double t = x * kSqrt1_2;
  if (x < -1) return std::log(erfcx(-t) / 2) - t * t;
  return std::log1p(-std::erfc(t) / 2);
}

// exp(-|x|) I_nu(|x|) for nu = 0 or 1: the ascending series (A&S 9.6.10, all terms positive) up
// to |x| = 20, then Hankel's asymptotic expansion (A&S 9.7.1), whose smallest term there is
// below 1e-17.
inline double bessel_i_scaled(int nu, double ax) {
  if (ax <= 20) {
    // (x/2)^2 as hi + lo: the rounding of a single q would enter the k-th term k times over.
    const double h = 0.5 * ax, q = h * h, q_lo = std::fma(h, h, -q);
    double term = nu == 0 ? 1.0 : h, sum = term;
    for (int k = 1; k < 200; k++) {
      term = (term * q + term * q_lo) / (k * (k + nu));
      sum += term;
      if (term < kEps * 0.1 * sum) break;
    }
    return sum * std::exp(-ax);
  }
  if (ax == kInf) return 0;
  const double mu = 4.0 * nu * nu;
  double term = 1, sum = 1;
  for (int k = 1; k < 100; k++) {
    const double next = term * -(mu - (2.0 * k - 1) * (2.0 * k - 1)) / (8.0 * k * ax);
    if (std::fabs(next) >= std::fabs(term)) break;  // the expansion diverges from here on
    term = next;
    sum += term;
    if (std::fabs(term) < kEps * 0.1) break;
  }
  return sum / std::sqrt(2 * kPi * ax);
}

// exp(|x|) times the scaled value, in two halves so that the product is finite wherever the
// result is (e^|x| alone overflows below the largest representable I0). PyTorch's Chebyshev
// evaluation gives NaN at +-inf; so does this.
inline double bessel_i_unscaled(int nu, double ax) {
  if (std::isinf(ax)) return kNaN;
  const double half = std::exp(0.5 * ax);
  return bessel_i_scaled(nu, ax) * half * half;
}

inline double i0(double x) { return std::isnan(x) ? x : bessel_i_unscaled(0, std::fabs(x)); }
inline double i0e(double x) { return std::isnan(x) ? x : bessel_i_scaled(0, std::fabs(x)); }
inline double i1(double x) {
  if (std::isnan(x) || x == 0) return x == 0 ? 0.0 : x;
  return std::copysign(bessel_i_unscaled(1, std::fabs(x)), x);
}
inline double i1e(double x) {
  if (std::isnan(x) || x == 0) return x == 0 ? 0.0 : x;
  return std::copysign(bessel_i_scaled(1, std::fabs(x)), x);
}

// -x log x, 0 at 0, -inf for negative x (PyTorch's special.entr).
inline double entr(double x) {
  if (std::isnan(x)) return x;
  if (x > 0) return -x * std::log(x);
  return x == 0 ? 0.0 : -kInf;
}

}  // namespace special
}  // namespace fngrad
