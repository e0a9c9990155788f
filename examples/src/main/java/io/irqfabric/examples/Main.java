package io.irqfabric.examples;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code irqfabric} command line: {@code storm} (the default) and the other tools.
 */
@Command(name = "irqfabric", mixinStandardHelpOptions = true, version = "irqfabric 0.1.0",
        description = "Interrupt fabric tools.",
        subcommands = {StormCommand.class, StatsCommand.class, EmbeddingExample.class})
public final class Main implements Runnable {

    /**
     * @param args command line; with no tool named, runs {@code storm} with the options given
     */
    public static void main(String[] args) {
        String[] effective = args;
        boolean toolNamed = args.length > 0 && !args[0].startsWith("-");
        boolean topLevelOption = args.length > 0 && (args[0].equals("-h") || args[0].equals("--help")
                || args[0].equals("-V") || args[0].equals("--version"));
        if (!toolNamed && !topLevelOption) {
            // No tool named: the storm, with whatever options were given (./irqfabric -d 3).
            effective = new String[args.length + 1];
            effective[0] = "storm";
            System.arraycopy(args, 0, effective, 1, args.length);
        }
        int code = new CommandLine(new Main()).execute(effective);
        System.exit(code);
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
