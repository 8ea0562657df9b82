// An independent RFC 4998 verifier for Stele's tests: Bouncy Castle's ERS implementation
// (Debian libbcpkix-java). Usage: java BcErsVerify ER_FILE DATA_FILE...
// Exit 0 and "OK" when Bouncy Castle validates every archive timestamp with the signer
// certificate carried in the token and finds every data file covered; exit 1 with the reason
// otherwise. An optional first argument --at=2039-06-01T00:00:00Z sets the validation date.
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Date;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cms.SignerInformationVerifier;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.bouncycastle.tsp.ers.ERSByteData;
import org.bouncycastle.tsp.ers.ERSEvidenceRecord;

public class BcErsVerify {
    public static void main(String[] args) throws Exception {
        java.security.Security.addProvider(new BouncyCastleProvider());
        try {
            Date at = new Date();
            int first = 0;
            if (args.length > 0 && args[0].startsWith("--at=")) {
                at = Date.from(java.time.Instant.parse(args[0].substring(5)));
                first = 1;
            }
            byte[] er = Files.readAllBytes(Paths.get(args[first]));
            ERSEvidenceRecord record = new ERSEvidenceRecord(er,
                new JcaDigestCalculatorProviderBuilder().setProvider("BC").build());
            X509CertificateHolder signer = record.getSigningCertificate();
            if (signer == null) {
                throw new IllegalStateException("the newest timestamp carries no signer certificate");
            }
            SignerInformationVerifier verifier =
                new JcaSimpleSignerInfoVerifierBuilder().setProvider("BC").build(signer);
            record.validate(verifier);
            for (int i = first + 1; i < args.length; i++) {
                byte[] data = Files.readAllBytes(Paths.get(args[i]));
                record.validatePresent(new ERSByteData(data), at);
            }
            System.out.println("OK");
        } catch (Exception e) {
            System.out.println("FAILED: " + e);
            System.exit(1);
        }
    }
}
