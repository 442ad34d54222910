"""``python -m reference``: every rule in every batching mode on logistic regression."""
from reference import problems
from reference.training import train

HYPER = {"sgd_update": dict(lr=0.2), "momentum_update": dict(lr=0.05, alpha=0.9),
         "nesterov_update": dict(lr=0.05, alpha=0.9), "adagrad_update": dict(lr=0.2),
         "rmsprop_update": dict(lr=0.01), "adam_update": dict(lr=0.01),
         "adamw_update": dict(lr=0.01, weight_decay=0.01)}
MODES = [("batch", None), ("minibatch", 32), ("sgd", None)]


def main(epochs: int = 5) -> None:
    problem = problems.logistic_regression(d=500, seed=0)
    print(f"Final training loss after {epochs} epochs ({problem.name}, d = {len(problem.X)})")
    print(f"{'rule':<17}" + "".join(f"{m + (f' b={b}' if b else ''):>16}" for m, b in MODES))
    for rule, hyper in HYPER.items():
        row = [train(problem, rule, mode, b, epochs=epochs, **hyper)[1].loss[-1] for mode, b in MODES]
        print(f"{rule:<17}" + "".join(f"{loss:>16.4f}" for loss in row))


if __name__ == "__main__":
    main()
