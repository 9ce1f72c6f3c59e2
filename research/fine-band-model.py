#!/usr/bin/env python3
"""What a temporal filter of the fine band can reach at best: a model (docs/temporal-detail.md).

usage: python3 research/fine-band-model.py [RHO]

The fine band of one pixel along exact motion taken as a first-order autoregressive series with
lag-one correlation RHO (default 0.66, the moving-camera clip's per-frame render, research/band-flicker.py),
filtered over time and scaled back to its own energy (detail 1.0). For an exponential average keeping
a of the past, alone and after the stage's look-ahead mix (0.6 of the frame, 0.4 of the next), prints
the fine band's flicker left (E_warp, as a share of the unfiltered band's), its correlation with the
unfiltered band, and its energy before the scaling. Computed from the power spectra, numerically.
"""
import sys
import numpy as np

rho = float(sys.argv[1]) if len(sys.argv) > 1 else 0.66
w = np.linspace(-np.pi, np.pi, 400001)
spectrum = (1 - rho ** 2) / np.abs(1 - rho * np.exp(-1j * w)) ** 2


def figures(response):
    power = np.abs(response) ** 2 * spectrum
    lag_one = (power * np.cos(w)).sum() / power.sum()
    correlation = (np.real(response) * spectrum).sum() / np.sqrt(power.sum() * spectrum.sum())
    return (1 - lag_one) / (1 - rho), correlation, power.sum() / spectrum.sum()


print(f'rho {rho}: filter, flicker left, correlation with the per-frame band, energy before scaling')
for lookahead in (False, True):
    for a in (0.3, 0.5, 0.6, 0.7, 0.8):
        response = (1 - a) / (1 - a * np.exp(-1j * w)) * ((0.6 + 0.4 * np.exp(1j * w)) if lookahead else 1)
        flicker, correlation, energy = figures(response)
        print(f"{'look-ahead, then ' if lookahead else ''}average keeping {a}: {flicker:.2f}, {correlation:.2f}, {energy:.2f}")
