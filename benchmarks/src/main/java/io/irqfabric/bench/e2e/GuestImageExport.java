package io.irqfabric.bench.e2e;

import io.irqfabric.kvm.Kvm;
import io.irqfabric.kvm.testguest.GuestImage;

import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Writes kvm-testguest's guest ({@link GuestImage#standard()}) to a file for the C floor
 * program, so the floor and the JMH end-to-end benchmark run exactly the same guest. Exits 1
 * (and writes nothing) when {@code /dev/kvm} is not usable, so the runner leaves the
 * end-to-end figure out and says why.
 */
public final class GuestImageExport {
    private GuestImageExport() {
    }

    /**
     * @param args the output file
     * @throws Exception if writing fails
     */
    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: GuestImageExport <file>");
            System.exit(2);
        }
        String why = Kvm.unavailableReason();
        if (why != null) {
            System.err.println("no end-to-end figure: " + why);
            System.exit(1);
        }
        Path file = Paths.get(args[0]);
        GuestImage.standard().writeTo(file);
        System.out.println("test guest image written to " + file);
    }
}
