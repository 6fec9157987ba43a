"""Claims on worker processes and on Dask: the same evidence as a serial run, in claim order."""

import doctest
import json
import sys

import pytest

import verify.__main__ as verify_cli
from verify import claims, runner
from verify.claims import Claim, Evidence, select

SEEDS = (0, 7)


def _chosen():
    # Random points (autograd, enumeration), torch simulations (Monte Carlo), torch modules
    # (optimizers): the claims whose numbers a thread count or a shared generator could move.
    # Monte Carlo claims come after others, so running long claims first really reorders.
    return [
        *select("activations.softplus"),
        *select("optimizers.sgd.torch"),
        *select("initialization.xavier_uniform"),
        *select("initialization.xavier_tanh"),
        *select("ridge.bayes_risk.square"),
    ]


def _fields(evidence):
    out = []
    for e in evidence:
        d = e.to_dict()
        d.pop("seconds")
        out.append(d)
    return out


@pytest.fixture(scope="module")
def serial():
    chosen = _chosen()
    return chosen, runner.run_claims(chosen, seeds=SEEDS, workers=1)


def test_serial_run_is_seed_major_in_claim_order(serial):
    chosen, evidence = serial
    assert [(e.claim_id, e.seed) for e in evidence] == [(c.id, s) for s in SEEDS for c in chosen]
    assert all(e.passed for e in evidence), [e.summary() for e in evidence if not e.passed]
    # The seeds matter, or the comparisons below would prove little.
    monte_carlo = [e.measured for e in evidence if e.claim_id == "ridge.bayes_risk.square_small_mu"]
    assert monte_carlo[0] != monte_carlo[1]


def test_two_worker_processes_give_the_serial_evidence(serial, monkeypatch):
    chosen, expected = serial

    def here(self, candidate=None, *, seed=0):
        raise AssertionError("a claim was checked in the calling process")

    # Worker processes are fresh interpreters: this patch reaches none of them, so the run
    # passes only if every check ran elsewhere.
    monkeypatch.setattr(Claim, "check", here)
    got = runner.run_claims(chosen, seeds=SEEDS, workers=2)
    assert [(e.claim_id, e.seed) for e in got] == [(c.id, s) for s in SEEDS for c in chosen]
    assert _fields(got) == _fields(expected)


def test_a_dask_local_cluster_gives_the_serial_evidence(serial):
    distributed = pytest.importorskip("distributed")
    chosen, expected = serial
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        with distributed.Client(cluster.scheduler_address) as client:
            # The workers run this checkout, not another installed copy of the project.
            assert set(client.run(runner.where_installed).values()) == {runner.where_installed()}
            # Workers with other sources than ours are refused before any claim is sent.
            with pytest.raises(RuntimeError, match="run other sources"):
                runner._check_workers(client, cluster.scheduler_address, mine="0" * 64)
        got = runner.run_claims(chosen, seeds=SEEDS, scheduler=cluster.scheduler_address)
        # A claim only this process knows is checked here, in its place among the others.
        mixed = runner.run_claims(
            [*select("activations.relu.range"), _ad_hoc()], scheduler=cluster.scheduler_address
        )
    assert [(e.claim_id, e.passed) for e in mixed] == [
        ("activations.relu.range", True),
        ("zz.here.only", True),
    ]
    assert [(e.claim_id, e.seed) for e in got] == [(c.id, s) for s in SEEDS for c in chosen]
    assert _fields(got) == _fields(expected)


def _ad_hoc():
    return Claim(
        "zz.here.only",
        "zz",
        "registered by no topic module",
        "exact",
        lambda cand, seed: Evidence(passed=True, message="checked"),
    )


def test_a_claim_no_topic_declares_is_checked_here_in_its_place():
    chosen = [*select("activations.relu"), _ad_hoc()]
    got = runner.run_claims(chosen, seeds=[0, 1], workers=2)
    assert [(e.claim_id, e.seed) for e in got] == [(c.id, s) for s in (0, 1) for c in chosen]
    assert all(e.passed for e in got), [e.summary() for e in got if not e.passed]


def test_without_distributed_the_scheduler_path_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed now fails
    with pytest.raises(ImportError, match=r"pip install 'derived-and-verified\[dask\]'"):
        runner.run_claims(select("activations.relu.range"), scheduler="tcp://127.0.0.1:8786")


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"workers": 0}, ValueError, "workers: a positive integer"),
        ({"workers": 1.5}, TypeError, "workers: a positive integer"),
        ({"workers": True}, TypeError, "workers: a positive integer"),
        ({"seeds": []}, ValueError, "seeds: at least one"),
        ({"seeds": [-1]}, ValueError, "seeds: an integer with 0 <= seeds < 2"),
        ({"seeds": [2**63]}, ValueError, "seeds: an integer with 0 <= seeds < 2"),
        ({"seeds": 3}, TypeError, "seeds: a sequence"),
        ({"scheduler": ""}, ValueError, "scheduler: an address"),
        ({"scheduler": "tcp://h:1", "workers": 2}, ValueError, "workers: leave it at 1"),
        ({"progress": "yes"}, TypeError, "progress: True or False"),
    ],
)
def test_run_claims_refuses_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        runner.run_claims(select("activations.relu.range"), **kwargs)


def test_run_claims_wants_claims_not_ids():
    with pytest.raises(TypeError, match="chosen: an iterable of Claim"):
        runner.run_claims("activations.relu.range")
    with pytest.raises(TypeError, match="chosen: every item must be a Claim"):
        runner.run_claims(["activations.relu.range"])


def test_workers_none_means_one_per_core_for_a_long_run(monkeypatch):
    monkeypatch.setattr(runner.os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    assert runner.resolve_workers(None) == 3
    # A short run stays in this process: starting a worker costs more than a few checks.
    per = runner.TASKS_PER_WORKER
    assert runner.resolve_workers(None, tasks=per - 1) == 1
    assert runner.resolve_workers(None, tasks=2 * per) == 2
    assert runner.resolve_workers(None, tasks=100 * per) == 3
    # An explicit count is obeyed, up to one process per task.
    assert runner.resolve_workers(2, tasks=2) == 2
    assert runner.resolve_workers(5, tasks=3) == 3


@pytest.fixture
def nothing_runs(monkeypatch):
    calls = []
    monkeypatch.setattr(runner, "run_claims", lambda *a, **k: calls.append(a) or [])
    return calls


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--seed", "-1"], "--seed: an integer with 0 <= --seed < 2**63"),
        (["--seed", str(2**63)], "--seed: an integer with 0 <= --seed < 2**63"),
        (["--seed", "1.5"], "argument --seed: invalid int value"),
        (["--seed", str(2**63 - 1), "--seeds", "2"], "--seeds: the seeds"),
        (["--seeds", "0"], "--seeds: a positive integer"),
        (["--workers", "0"], "--workers: a positive integer is required, got 0"),
        (["--workers", "two"], "argument --workers: invalid int value"),
        (["--workers", "2", "--scheduler", "tcp://h:1"], "not allowed with argument --workers"),
        (["--scheduler", ""], "--scheduler: an address"),
    ],
)
def test_cli_bad_arguments_exit_2_and_run_nothing(args, message, nothing_runs, capsys):
    assert verify_cli.main(["--only", "activations.relu", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert nothing_runs == []


def test_cli_unwritable_json_exits_2_before_running(tmp_path, nothing_runs, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    # A path under a regular file cannot be created, whoever runs the test (root included).
    target = blocker / "evidence.json"
    assert verify_cli.main(["--only", "activations.relu", "--json", str(target)]) == 2
    assert f"--json: cannot write {target}" in capsys.readouterr().err
    assert verify_cli.main(["--only", "activations.relu", "--json", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err
    assert nothing_runs == []
    assert list(tmp_path.iterdir()) == [blocker]  # no probe left behind


def test_cli_a_failed_json_write_keeps_the_old_file_and_the_evidence(tmp_path, monkeypatch, capsys):
    target = tmp_path / "evidence.json"
    target.write_text("previous run\n")

    def refuse(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(verify_cli.os, "replace", refuse)
    code = verify_cli.main(
        ["--only", "activations.relu.range", "--workers", "1", "--json", str(target)]
    )
    err = capsys.readouterr().err
    assert code == 2 and "disk full" in err
    assert target.read_text() == "previous run\n"
    kept = err.rsplit("the evidence is in ", 1)[1].strip()
    assert [d["claim_id"] for d in json.loads(open(kept).read())] == ["activations.relu.range"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evidence.json"]


def test_cli_seeds_count_false_alarms_per_seed_and_per_claim(monkeypatch, capsys):
    flaky = Claim(
        "zz.odd.seeds",
        "zz",
        "fails at odd seeds",
        "monte-carlo",
        lambda cand, seed: Evidence(passed=seed % 2 == 0, message=f"seed {seed}"),
    )
    monkeypatch.setitem(claims._REGISTRY, flaky.id, flaky)
    assert verify_cli.main(["--only", "zz.", "--seed", "4", "--seeds", "3", "--workers", "2"]) == 1
    out = capsys.readouterr().out
    assert "seed 4: 1 passed, 0 failed\n" in out
    assert "seed 5: 0 passed, 1 failed ['zz.odd.seeds']" in out
    assert "zz.odd.seeds: failed at 1 of 3 seeds" in out
    assert "2 passed, 1 failed" in out
    # 1 failure in 3 runs at 1e-6: P(>= 1) = 1 - (1 - 1e-6)**3 = 3e-6, computed by hand.
    assert "Monte Carlo runs: 3, failed: 1 (" in out and "P(≥ 1 failures) ≤ 3e-06)" in out


def test_the_false_alarm_tail_is_the_binomial_one():
    # Two failures in 1000 runs at level 0.01: P(X >= 2) = 1 - 0.99**1000 - 1000*0.01*0.99**999.
    expected = 1 - 0.99**1000 - 1000 * 0.01 * 0.99**999
    line = verify_cli._false_alarm_line(1000, 2, level=0.01)
    assert line.endswith(f"P(≥ 2 failures) ≤ {expected:.2g})") and "expected ≤ 10;" in line


def test_cli_run_is_also_a_subcommand(capsys):
    assert verify_cli.main(["run", "--only", "activations.relu.range", "--workers", "1"]) == 0
    assert "1 passed, 0 failed" in capsys.readouterr().out


def test_cli_help_lists_the_subcommands(capsys):
    assert verify_cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "--workers N" in out and "--scheduler ADDRESS" in out
    assert all(name in out for name in verify_cli.SUBCOMMANDS)


@pytest.mark.parametrize("module", [runner, verify_cli])
def test_doctests(module):
    # pytest's --doctest-modules skips __main__.py; run both modules' examples here.
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_a_progress_bar_only_when_asked(capsys):
    chosen = select("activations.relu")
    runner.run_claims(chosen, progress=False)
    assert capsys.readouterr().err == ""
    runner.run_claims(chosen, progress=True)
    err = capsys.readouterr().err
    assert f"0/{len(chosen)}" in err and "claim/s" in err and "activations.relu." in err


def test_claims_of_one_topic_and_seed_go_to_one_process_together():
    chosen = _chosen()
    tasks = [(c, s) for s in SEEDS for c in chosen]
    groups = runner._groups(tasks)
    assert sorted(i for g in groups for i in g) == list(range(len(tasks)))  # a partition
    for g in groups:
        assert len({(tasks[i][0].topic, tasks[i][1]) for i in g}) == 1
        assert g == sorted(g)  # claim order inside a group
    assert len(groups) == len({c.topic for c in chosen}) * len(SEEDS)
    # The groups with most Monte Carlo claims start first (here: initialization, ridge).
    first = {tasks[groups[0][0]][0].topic, tasks[groups[1][0]][0].topic}
    assert first <= {"initialization", "ridge"}
    assert tasks[groups[-1][0]][0].topic in {"activations", "optimizers"}


def test_cli_a_scheduler_it_cannot_use_exits_2(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)
    assert verify_cli.main(["--only", "activations.relu.range", "--scheduler", "tcp://h:1"]) == 2
    assert "pip install 'derived-and-verified[dask]'" in capsys.readouterr().err
    assert verify_cli.main(["--only", "activations.relu.range", "--scheduler", " tcp://h:1"]) == 2
    assert "scheduler: an address" in capsys.readouterr().err


def test_kept_evidence_is_looked_up_before_any_work_is_sent(tmp_path, monkeypatch):
    """With DV_CACHE_DIR set, a rerun of unchanged claims checks nothing and starts no worker."""

    monkeypatch.setenv("DV_CACHE_DIR", str(tmp_path))
    chosen = claims.select("activations.relu.")
    first = runner.run_claims(chosen, seeds=[3], workers=1)

    def refuse(*args, **kwargs):
        raise AssertionError("work was done although every piece of evidence was kept")

    monkeypatch.setattr(runner, "check_one", refuse)
    monkeypatch.setattr(runner, "_on_processes", refuse)
    again = runner.run_claims(chosen, seeds=[3], workers=2)
    assert [e.to_dict() for e in again] == [e.to_dict() for e in first]
