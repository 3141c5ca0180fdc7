"""The JLR curriculum as data: ten sections, 85 topics (see ../shared/CURRICULUM.md).

The README's status table and `jlr progress` are both generated from this list, and a
test checks it against the founding document word for word when that file is present.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    number: str  # the lesson number, "01" .. "10"
    slug: str  # the lesson's file name stem after the number, e.g. "calculus"
    title: str
    topics: tuple[str, ...]

    @property
    def lesson_stem(self) -> str:
        return f"{self.number}_{self.slug}"


SECTIONS: tuple[Section, ...] = (
    Section(
        "01",
        "calculus",
        "Multivariable Calculus (Foundations)",
        (
            "Functions of multiple variables (ℝⁿ → ℝ, ℝⁿ → ℝᵐ)",
            "Domains, codomains, level sets, contour plots",
            "Partial derivatives and geometric interpretation",
            "Directional derivatives and gradient vector",
            "Total derivative and multivariable chain rule",
            "Jacobian matrix and linear approximation",
            "Jacobian–vector and vector–Jacobian products",
            "Second-order derivatives and Hessian matrix",
            "Curvature, saddle points, local minima",
            "Multivariable Taylor expansion (1st and 2nd order)",
            "Constrained optimization and Lagrange multipliers",
        ),
    ),
    Section(
        "02",
        "linear_algebra",
        "Linear Algebra for Representation Learning",
        (
            "Vector spaces and subspaces",
            "Span, basis, linear independence",
            "Coordinate systems and change of basis",
            "Linear transformations and matrix interpretation",
            "Rank, null space, column space",
            "Eigenvalues and eigenvectors",
            "Spectral norms and conditioning",
            "Singular Value Decomposition (SVD)",
            "Low-rank approximations and information compression",
        ),
    ),
    Section(
        "03",
        "probability",
        "Probability",
        (
            "Random variables (discrete and continuous)",
            "Expectation, variance, covariance",
            "Joint and conditional distributions",
            "Independence vs correlation",
            "Multivariate Gaussian distributions",
            "Maximum Likelihood Estimation (MLE)",
            "Maximum A Posteriori (MAP) estimation",
            "Entropy and uncertainty",
            "Cross-entropy loss",
            "KL divergence and distribution matching",
            "Mutual information and representation learning",
        ),
    ),
    Section(
        "04",
        "optimization",
        "Optimization for Deep Learning",
        (
            "Gradient descent (batch, mini-batch, stochastic)",
            "Learning rate schedules",
            "Stochasticity and implicit regularization",
            "Momentum-based optimization",
            "RMSProp and Adam",
            "Bias correction in adaptive methods",
            "Non-convex loss landscapes",
            "Saddle points and flat minima",
            "Overparameterization and double descent",
            "Generalization and implicit bias",
        ),
    ),
    Section(
        "05",
        "jax_core",
        "JAX Core Concepts",
        (
            "Functional programming principles",
            "Pure functions and immutability",
            "`jax.numpy` and array semantics",
            "Automatic differentiation (`grad`)",
            "Forward-mode vs reverse-mode AD",
            "JIT compilation (`jit`) and XLA",
            "Vectorization with `vmap`",
            "Parallelism with `pmap`",
            "Manual parameter management",
            "Training loops from scratch in JAX",
        ),
    ),
    Section(
        "06",
        "architectures",
        "Core Deep Learning Architectures",
        (
            "Multi-Layer Perceptrons (MLPs)",
            "Depth vs width trade-offs",
            "Backpropagation derivation",
            "Backpropagation implementation in JAX",
            "Convolution operation fundamentals",
            "Receptive fields and locality",
            "Translation invariance",
            "CNN implementation in JAX",
            "CNN mini-project (MNIST / CIFAR-10)",
        ),
    ),
    Section(
        "07",
        "sequence_models",
        "NLP and Sequence Modeling",
        (
            "Discrete sequences and tokenization",
            "Embedding layers and learned representations",
            "Recurrent neural networks (conceptual)",
            "Limitations of recurrence",
            "Self-attention mechanism",
            "Query, key, value formulation",
            "Transformer architecture",
            "Positional encoding",
            "Transformer mini-project in JAX (small LM)",
        ),
    ),
    Section(
        "08",
        "computer_vision",
        "Computer Vision (Advanced)",
        (
            "Feature hierarchies in CNNs",
            "Batch normalization",
            "Layer normalization",
            "Regularization techniques (dropout, weight decay)",
            "Architectural ablations",
            "Vision-focused mini-project with analysis",
        ),
    ),
    Section(
        "09",
        "llms",
        "Large Language Models (LLMs)",
        (
            "Subword tokenization (BPE / WordPiece)",
            "Causal language modeling objective",
            "Scaling laws (data, parameters, compute)",
            "Training dynamics at scale",
            "Evaluation metrics (perplexity)",
            "Limitations of likelihood-based evaluation",
            "Alignment overview (RLHF basics)",
        ),
    ),
    Section(
        "10",
        "projects",
        "Projects",
        (
            "JAX Transformer with attention visualization",
            "Optimization comparison study",
            "Loss landscape or training dynamics analysis",
        ),
    ),
)

# Lesson 00 teaches how to use the repository; it has exercises but no curriculum topics.
GETTING_STARTED = Section("00", "getting_started", "How to use this repository", ())


def all_topics() -> list[tuple[Section, str]]:
    """Every (section, topic) pair in curriculum order: 85 of them."""
    return [(section, topic) for section in SECTIONS for topic in section.topics]


def section_by_number(number: str) -> Section:
    """The section (or lesson 00) with this two-digit number; KeyError if none."""
    for section in (GETTING_STARTED, *SECTIONS):
        if section.number == number:
            return section
    raise KeyError(number)
