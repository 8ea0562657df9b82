// Peer for Stele's ers_verify benchmark: Bouncy Castle's RFC 4998 verifier (Debian
// libbcpkix-java) over N evidence records.
// Usage: java BcErsBench DIR N   (DIR holds 0.ers, 0.bin, 1.ers, 1.bin, ... N-1.bin)
// All files are read into memory first. One untimed pass warms the JVM up, then each timed
// pass runs, for every record: new ERSEvidenceRecord(bytes, digestProvider), a
// SignerInformationVerifier for the token's signer certificate, validate(verifier) and
// validatePresent(new ERSByteData(data), now). Prints "records/s: X" (wall clock) and
// "records/s (thread cpu): Y" (CPU time of the verifying thread), each for its best pass.
// Bouncy Castle checks the token signature only, not the TSA certificate path.
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Date;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.SignerInformationVerifier;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.DigestCalculatorProvider;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.tsp.ers.ERSByteData;
import org.bouncycastle.tsp.ers.ERSEvidenceRecord;

public class BcErsBench {
    public static void main(String[] args) throws Exception {
        java.security.Security.addProvider(new BouncyCastleProvider());
        Path dir = Paths.get(args[0]);
        int n = Integer.parseInt(args[1]);
        int passes = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        byte[][] ers = new byte[n][];
        byte[][] data = new byte[n][];
        for (int i = 0; i < n; i++) {
            ers[i] = Files.readAllBytes(dir.resolve(i + ".ers"));
            data[i] = Files.readAllBytes(dir.resolve(i + ".bin"));
        }
        DigestCalculatorProvider digests =
            new JcaDigestCalculatorProviderBuilder().setProvider("BC").build();

        runPass(ers, data, digests); // warm-up
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        double best = 0;
        double bestCpu = 0;
        for (int p = 0; p < passes; p++) {
            long c0 = threads.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            runPass(ers, data, digests);
            double secs = (System.nanoTime() - t0) / 1e9;
            double cpuSecs = (threads.getCurrentThreadCpuTime() - c0) / 1e9;
            best = Math.max(best, n / secs);
            bestCpu = Math.max(bestCpu, n / cpuSecs);
        }
        System.out.println("records/s: " + best);
        System.out.println("records/s (thread cpu): " + bestCpu);
    }

    static void runPass(byte[][] ers, byte[][] data, DigestCalculatorProvider digests)
            throws Exception {
        Date now = new Date();
        for (int i = 0; i < ers.length; i++) {
            ERSEvidenceRecord record = new ERSEvidenceRecord(ers[i], digests);
            X509CertificateHolder signer = record.getSigningCertificate();
            if (signer == null) {
                throw new IllegalStateException("record " + i + ": no signer certificate");
            }
            SignerInformationVerifier verifier =
                new JcaSimpleSignerInfoVerifierBuilder().setProvider("BC").build(signer);
            record.validate(verifier);
            record.validatePresent(new ERSByteData(data[i]), now);
        }
    }
}
