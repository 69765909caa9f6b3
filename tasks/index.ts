// Every Hardhat task of the twin registry; hardhat.config.ts imports this file.
import './deploy';
import './entities';
import './twins';
import './market';
import './deposit';
import './lifecycle';
import './simulated';
import './start';
import './coverage';
import './broker';
