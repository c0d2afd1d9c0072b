/**
 * tilmelding: Digital Post, NemSMS or paper for every letter, from a
 * memory-mapped index of Digital Post's complete subscription list, over
 * the C ABI of {@code libtilmelding} with JNA.
 */
module dk.tilmelding {
    requires com.sun.jna;

    exports dk.tilmelding;
    // JNA registers the native methods of dk.tilmelding.Native and reads
    // the fields of its structures reflectively.
    opens dk.tilmelding to com.sun.jna;
}
