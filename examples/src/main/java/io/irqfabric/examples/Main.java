package io.irqfabric.examples;

import io.irqfabric.FabricConfigException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;

import java.io.PrintWriter;

/**
 * The {@code irqfabric} command line: {@code storm} (the default) and the other tools.
 *
 * <p>Errors follow git and cargo: a mistake of the user (a bad option, a file that is not a
 * counters file, a configuration the fabric refuses) is one line on stderr and exit status 2; a
 * bug keeps its stack trace (exit status 1).
 */
@Command(name = "irqfabric", mixinStandardHelpOptions = true, versionProvider = Main.ManifestVersion.class,
        description = "Interrupt fabric tools. With no tool named, runs the storm with the options given.",
        subcommands = {StormCommand.class, StatsCommand.class, EmbeddingExample.class, HelpCommand.class})
public final class Main implements Runnable {
    /** Exit status of a usage or input error. */
    static final int USER_ERROR = 2;

    /**
     * @param args command line; with no tool named, runs {@code storm} with the options given
     */
    public static void main(String[] args) {
        System.exit(commandLine().execute(withDefaultTool(args)));
    }

    /**
     * @param args the command line as given
     * @return it with {@code storm} put first when it names no tool ({@code ./irqfabric -d 3})
     */
    static String[] withDefaultTool(String[] args) {
        boolean toolNamed = args.length > 0 && !args[0].startsWith("-");
        boolean topLevelOption = args.length > 0 && (args[0].equals("-h") || args[0].equals("--help")
                || args[0].equals("-V") || args[0].equals("--version"));
        if (toolNamed || topLevelOption) {
            return args;
        }
        String[] effective = new String[args.length + 1];
        effective[0] = "storm";
        System.arraycopy(args, 0, effective, 1, args.length);
        return effective;
    }

    /** @return the command line with its error handlers: one line and status 2 for a user error */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setParameterExceptionHandler((ex, args) -> {
            PrintWriter err = ex.getCommandLine().getErr();
            err.println(ex.getCommandLine().getCommandName() + ": " + ex.getMessage()
                    + " (see '" + qualifiedName(ex.getCommandLine()) + " --help')");
            err.flush();
            return USER_ERROR;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            String message = userErrorMessage(ex);
            if (message == null) {
                throw ex; // a bug: picocli prints the stack trace
            }
            PrintWriter err = commandLine.getErr();
            err.println(commandLine.getCommandName() + ": " + message);
            err.flush();
            return USER_ERROR;
        });
        return cl;
    }

    private static String qualifiedName(CommandLine cl) {
        String name = cl.getCommandName();
        for (CommandLine p = cl.getParent(); p != null; p = p.getParent()) {
            name = p.getCommandName() + " " + name;
        }
        return name;
    }

    /**
     * @param ex what a command threw
     * @return its one-line message if it is the user's mistake (the input or the configuration),
     *         null if it is a bug
     */
    static String userErrorMessage(Exception ex) {
        if (ex instanceof UserException || ex instanceof FabricConfigException) {
            return ex.getMessage().replace('\n', ' ');
        }
        return null;
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /** A mistake in what the user asked for: reported as one line, exit status 2, no stack trace. */
    static final class UserException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UserException(String message) {
            super(message);
        }
    }

    /** The version from the jar's manifest ({@code Implementation-Version}). */
    static final class ManifestVersion implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[]{"irqfabric " + (v == null ? "(version unknown: not run from the packaged jar)" : v),
                "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")"};
        }
    }
}
