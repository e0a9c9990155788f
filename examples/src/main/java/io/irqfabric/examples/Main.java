package io.irqfabric.examples;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code irqfabric} command line: {@code storm} (the default) and the other tools.
 */
@Command(name = "irqfabric", mixinStandardHelpOptions = true, version = "irqfabric 0.1.0",
        description = "Interrupt fabric tools.",
        subcommands = {StormCommand.class, EmbeddingExample.class})
public final class Main implements Runnable {

    /**
     * @param args command line; with no subcommand, runs {@code storm}
     */
    public static void main(String[] args) {
        String[] effective = args.length == 0 ? new String[] {"storm"} : args;
        int code = new CommandLine(new Main()).execute(effective);
        System.exit(code);
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
