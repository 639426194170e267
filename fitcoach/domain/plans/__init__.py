"""Training and nutrition plans: profile -> workout + nutrition, swaps, adaptation.

Entry points: :func:`fitcoach.domain.plans.generator.generate_plan`,
:func:`fitcoach.domain.plans.swap.swap_options`,
:func:`fitcoach.domain.plans.adaptation.adapt_workout`.
"""
