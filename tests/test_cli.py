"""The ``candidate-sampling`` command checks where it will write before it runs: a bad
``--out``, ``--json`` or ``--junit`` is one line and exit status 2, not a traceback after
minutes of work."""

from __future__ import annotations

import argparse

import pytest

from candidate_sampling.cli import main, output_directory, output_file, whole_number


@pytest.fixture
def blocked(tmp_path):
    """A path under a regular file: no directory can be made there."""
    (tmp_path / "file").write_text("")
    return tmp_path / "file" / "out"


@pytest.mark.parametrize("argv, option", [
    (["bench", "--tiny", "--no-peers", "--backend", "numpy", "--out", "{blocked}"], "--out"),
    (["demo", "--steps", "1", "--backend", "numpy", "--quiet", "--out", "{blocked}"], "--out"),
    (["conform", "--backend", "numpy", "--junit", "{blocked}/report.xml"], "--junit"),
    (["conform", "--backend", "numpy", "--json", "{blocked}/report.json"], "--json"),
])
def test_a_place_that_cannot_be_written_exits_2_before_any_work(argv, option, blocked, capsys):
    argv = [a.format(blocked=blocked) for a in argv]
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, lines  # nothing ran before the error
    assert lines[0].startswith(f"candidate-sampling {argv[0]}: error: {option}: cannot write "
                               f"files in '{blocked}")


@pytest.mark.parametrize("argv, option, where", [
    (["demo", "--steps", "1", "--backend", "numpy", "--quiet", "--out", "{file}"], "--out",
     "{file}"),
    (["conform", "--backend", "numpy", "--junit", "{file}/report.xml"], "--junit", "{file}"),
])
def test_a_file_where_a_folder_is_needed_is_named(argv, option, where, tmp_path, capsys):
    """It said "cannot write files in ...: File exists"."""
    file = tmp_path / "taken.txt"
    file.write_text("")
    with pytest.raises(SystemExit) as exit_info:
        main([a.format(file=file) for a in argv])
    assert exit_info.value.code == 2
    want = (f"candidate-sampling {argv[0]}: error: {option}: '{where.format(file=file)}' is "
            f"a file, not a folder")
    assert capsys.readouterr().err.splitlines() == [want]


def test_an_unknown_conform_backend_lists_the_names(capsys):
    """It said the name "is not installed here", as for a library that is missing."""
    with pytest.raises(SystemExit):
        main(["conform", "--backend", "bogus"])
    err = capsys.readouterr().err
    assert "--backend: must be one of ['all', 'array_api_strict', 'cupy', 'jax'" in err
    assert err.rstrip().endswith("got 'bogus'")


def test_a_directory_given_for_a_report_file_exits_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["conform", "--backend", "numpy", "--junit", str(tmp_path)])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.splitlines() == [
        f"candidate-sampling conform: error: --junit: '{tmp_path}' is a directory; give a "
        f"file name"]


def test_output_places_are_checked_and_made_with_their_parents(tmp_path):
    made = output_directory(tmp_path / "a" / "b", "--out")
    assert made.is_dir() and list(made.iterdir()) == []  # the probe file is gone
    report = output_file(tmp_path / "c" / "d" / "report.xml", "--junit")
    assert report == tmp_path / "c" / "d" / "report.xml"
    assert not (tmp_path / "c").exists()  # made by the command when it writes the report
    (tmp_path / "f").write_text("")
    with pytest.raises(ValueError, match=r"^--junit: cannot write files in '.*f/g': Not a "
                                         r"directory$"):
        output_file(tmp_path / "f" / "g" / "report.xml", "--junit")


@pytest.mark.parametrize("argv, message", [
    (["bench", "--rounds", "abc"], "argument --rounds: invalid whole number: 'abc'"),
    (["bench", "--classes", "1e4x"], "argument --classes: invalid whole number: '1e4x'"),
    (["demo", "--classes", "2.5"], "argument --classes: invalid whole number: '2.5'"),
    (["conform", "--backend"], "argument --backend: expected one argument"),
    # the command's own help, not the top level's
    (["demo", "--bogus"], "unrecognized arguments: --bogus"),
    (["bench", "--quick", "--bogus", "x"], "unrecognized arguments: --bogus x"),
    (["demo", "--num-sampled", "2.5"], "argument --num-sampled: invalid whole number: '2.5'"),
])
def test_a_malformed_argument_is_one_line(argv, message, capsys):
    """argparse's own errors (a value of the wrong type, a missing value) are one line
    as the commands' are; argparse printed its usage first."""
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    prog = f"candidate-sampling {argv[0]}"
    assert capsys.readouterr().err.splitlines() == [
        f"{prog}: error: {message} (see {prog} --help)"]


def test_counts_of_every_command_are_taken_as_the_docs_write_them():
    """``--num-sampled 1e3`` was "invalid int value" where ``--classes 1e3`` was taken."""
    from candidate_sampling.benchmarks import command as bench

    from candidate_sampling.cli import _Parser
    from candidate_sampling.demo import command as demo

    parser = _Parser(prog="demo")
    demo.configure(parser)
    args = parser.parse_args(["--num-sampled", "1e3", "--dim", "6.4e1", "--batch-size", "2_048",
                              "--steps", "1e2", "--evaluations", "2e0", "--seed", "7e0"])
    assert (args.num_sampled, args.dim, args.batch_size, args.steps, args.evaluations,
            args.seed) == (1000, 64, 2048, 100, 2, 7)
    parser = _Parser(prog="bench")
    bench.configure(parser)
    assert parser.parse_args(["--rounds", "1e1"]).rounds == 10


def test_class_counts_are_taken_as_the_docs_write_them():
    """``--classes 2e5`` (as the help and docs write class counts) is 200000; it was an
    invalid int."""
    assert [whole_number(t) for t in ("200000", "2e5", "2_000_000", "1.5e3")] == [
        200_000, 200_000, 2_000_000, 1500]
    for bad in ("2.5", "inf", "nan", "1e4x", ""):
        with pytest.raises(argparse.ArgumentTypeError, match="invalid whole number"):
            whole_number(bad)


@pytest.mark.parametrize("argv", [
    ["bench", "--rounds", "0", "--out", "{tmp}/bench/sub"],
    ["conform", "--timeout", "0", "--json", "{tmp}/conform/x.json"],
    ["conform", "--backend", "bogus", "--junit", "{tmp}/conform/x.xml"],
])
def test_a_refused_argument_makes_no_folder(argv, tmp_path, capsys):
    """The output folders were made before the other arguments were checked."""
    with pytest.raises(SystemExit) as exit_info:
        main([a.format(tmp=tmp_path) for a in argv])
    assert exit_info.value.code == 2
    assert list(tmp_path.iterdir()) == []


def test_a_backend_without_its_device_is_said_so(capsys):
    """``--backend torch-cuda`` where torch is installed but sees no GPU said "is not
    installed here"; the reason is the pytest plugin's."""
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("torch-cuda runs here: a GPU is present")
    with pytest.raises(SystemExit):
        main(["conform", "--backend", "torch-cuda"])
    err = capsys.readouterr().err
    assert err.startswith("candidate-sampling conform: error: --backend: backend 'torch-cuda': "
                          "torch finds no device here (installed: ['numpy'")


def test_ctrl_c_is_one_line_and_status_130(monkeypatch, capsys):
    """Ctrl-C printed a traceback of some 40 lines; now one line, and the status a shell
    gives a command ended by SIGINT."""
    import candidate_sampling.demo.command as demo

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(demo, "run", interrupted)
    with pytest.raises(SystemExit) as exit_info:
        main(["demo"])
    assert exit_info.value.code == 130
    assert capsys.readouterr().err == "\ncandidate-sampling demo: interrupted\n"


@pytest.mark.parametrize("seed", ["9223372036854775808"])
def test_demo_seeds_are_int64(seed, capsys):
    """A seed past int64 failed after the corpus was built, in JAX (an OverflowError
    traceback) or torch ("Overflow when unpacking long long", --seed not named)."""
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--seed", seed, "--classes", "100", "--num-sampled", "10", "--steps", "2"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == (f"candidate-sampling demo: error: --seed: must be in "
                                       f"[0, 9223372036854775807], got {seed}\n")


@pytest.mark.parametrize("argv, name", [
    (["demo", "--classes", "100", "--num-sampled", "10", "--steps", "2"], "learning_curves.png"),
    (["bench", "--tiny", "--backend", "numpy", "--no-peers"], "results.md"),
    (["bench", "--tiny", "--backend", "numpy", "--no-peers"], "nce_step.png"),
])
def test_a_folder_where_a_result_goes_is_named_before_any_work(argv, name, tmp_path, capsys,
                                                               monkeypatch):
    """A folder in ``--out`` of a result's name failed the run at its end, after the
    training or the benchmark (an IsADirectoryError traceback)."""
    (tmp_path / name).mkdir()
    import benchmarks.suite
    import candidate_sampling.demo.corpus

    def no_work(*args, **kwargs):
        raise AssertionError("the run started")

    monkeypatch.setattr(benchmarks.suite, "run_suite", no_work)
    monkeypatch.setattr(candidate_sampling.demo.corpus, "make_corpus", no_work)
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--out", str(tmp_path)])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == (
        f"candidate-sampling {argv[0]}: error: --out: '{tmp_path / name}', where a result "
        f"is written, is a folder\n")
