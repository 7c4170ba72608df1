import subprocess
import sys


def test_import_and_help_do_not_load_torch():
    code = ("import sys, kmner, kmner.cli; "
            "from typer.testing import CliRunner; "
            "r = CliRunner().invoke(kmner.cli.app, ['--help']); "
            "assert r.exit_code == 0, r.output; "
            "heavy = [m for m in ('torch', 'gliner2', 'transformers', 'label_studio_sdk', 'peft') "
            "if m in sys.modules]; "
            "print(heavy); assert not heavy, heavy")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr + out.stdout
